extension ModelSpec {
    /// ResNet-20 for 32×32 colour images (He et al. 2016, §4.2), with group normalization (2
    /// groups) in place of batch normalization, as Hsieh et al. 2020 federate it: a 3×3
    /// convolution of 16 channels, three stages of three basic blocks (16, 32 and 64 channels;
    /// the first block of the second and third stages halves the resolution, its shortcut a
    /// strided 1×1 convolution), global average pooling and a 10-way output. 0.27 M parameters,
    /// as the paper's ResNet-20 (here 273,258: convolutions with biases and projection shortcuts).
    public static let resnet20GN: ModelSpec = {
        func norm(_ channels: Int) -> LayerSpec { .groupNorm(groups: 2, channels: channels) }
        func block(_ input: Int, _ output: Int) -> [LayerSpec] {
            let stride = input == output ? 1 : 2
            let branch: [LayerSpec] = [
                .conv2d(inputChannels: input, outputChannels: output, kernel: 3, stride: stride, padding: 1), norm(output), .relu,
                .conv2d(inputChannels: output, outputChannels: output, kernel: 3, padding: 1), norm(output),
            ]
            let projection: [LayerSpec] = input == output ? [] : [.conv2d(inputChannels: input, outputChannels: output, kernel: 1, stride: 2), norm(output)]
            return [.residual(layers: branch, projection: projection), .relu]
        }
        var layers: [LayerSpec] = [.conv2d(inputChannels: 3, outputChannels: 16, kernel: 3, padding: 1), norm(16), .relu]
        for (input, output) in [(16, 16), (16, 16), (16, 16), (16, 32), (32, 32), (32, 32), (32, 64), (64, 64), (64, 64)] {
            layers += block(input, output)
        }
        return ModelSpec(name: "resnet20-gn", inputShape: [3, 32, 32], layers: layers + [.globalAvgPool, .linear(inputs: 64, outputs: 10)])
    }()

    /// The FedAvg paper's character model for Shakespeare (McMahan et al. 2017): 80 characters
    /// in, each embedded in 8 dimensions, two LSTM layers of 256 units, and the next character
    /// scored over LEAF's 80-character vocabulary. 819,920 parameters (the paper's 866,578 counts
    /// a larger vocabulary it does not list).
    public static let shakespeareLSTM = ModelSpec(name: "shakespeare-lstm", inputShape: [80], layers: [
        .embedding(vocabulary: 80, dimension: 8), .lstm(inputs: 8, hidden: 256, layers: 2), .lastStep, .linear(inputs: 256, outputs: 80),
    ])

    /// A small MLP for tabular data: 14 features (the UCI Adult census table's attributes,
    /// numerically encoded), two hidden layers of 64 ReLU units, two classes; 5,250 parameters.
    public static let tabularMLP = ModelSpec(name: "tabular-mlp", inputShape: [14], layers: [
        .linear(inputs: 14, outputs: 64), .relu, .linear(inputs: 64, outputs: 64), .relu, .linear(inputs: 64, outputs: 2),
    ])
}
