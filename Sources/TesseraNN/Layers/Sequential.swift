import TesseraTensor

/// Named layers applied in order; parameter names are `<layer name>.<parameter>`.
public struct Sequential: Layer {
    /// The layers and their names, in order.
    public let layers: [(name: String, layer: any Layer)]

    /// A chain of `layers`.
    public init(_ layers: [(name: String, layer: any Layer)]) {
        self.layers = layers
    }

    public func makeParameters(using generator: inout SeededGenerator) throws -> [(name: String, tensor: Tensor)] {
        var parameters: [(name: String, tensor: Tensor)] = []
        for (name, layer) in layers {
            for (parameter, tensor) in try layer.makeParameters(using: &generator) {
                parameters.append((name: "\(name).\(parameter)", tensor: tensor))
            }
        }
        return parameters
    }

    public func bufferNames() -> [String] {
        layers.flatMap { name, layer in layer.bufferNames().map { "\(name).\($0)" } }
    }

    public func forward(_ input: Tensor, parameters: LayerParameters, context: inout ForwardContext) throws -> Tensor {
        var x = input
        for (name, layer) in layers {
            x = try layer.forward(x, parameters: parameters.nested(name), context: &context)
        }
        return x
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        var shape = inputShape
        for (_, layer) in layers { shape = try layer.outputShape(for: shape) }
        return shape
    }
}
