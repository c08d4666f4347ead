import Foundation
import Testing
@testable import TesseraNN

/// Models declared as data: what they build, the sizes they infer, every mistake told with the
/// layer, its kind and the shape it received, and the text a run directory reads back.
@Suite("Model declarations")
struct ModelDeclarationTests {
    static func spec(_ json: String) throws -> ModelSpec {
        try ModelDeclaration.spec(fromText: json)
    }

    @Test func aDeclarationBuildsTheModelItSaysWithSizesInferred() throws {
        let spec = try Self.spec("""
            {"name": "paper", "input": [1, 28, 28], "layers": [{"conv": {"out": 32, "kernel": 5, "padding": 2}}, "relu", {"maxpool": {"kernel": 2}},
             {"conv": {"out": 64, "kernel": 5, "padding": 2}}, "relu", {"maxpool": {"kernel": 2}}, "flatten", {"linear": {"out": 512}}, "relu",
             {"linear": {"out": 10}}]}
            """)
        // The FedAvg paper's CNN, as built in: the same layers, the same 1,663,370 parameters.
        #expect(spec.layers == ModelSpec.mnistCNN.layers && spec.name == "paper")
        let rows = try spec.summary()
        #expect(rows.reduce(0) { $0 + $1.parameters } == 1_663_370 && rows[0].outputShape == [32, 28, 28] && rows[7].name == "fc1")
        #expect(try Model(spec: spec, seed: 1).parameters.scalarCount == 1_663_370)
    }

    @Test("each mistake is told with the layer, its kind and the shape", arguments: [
        (#"{"input": [1, 28, 28], "layers": [{"conv": {"out": 8, "kernel": 3}}, {"linear": {"out": 10}}]}"#, "layer 1 (linear) receives [8, 26, 26]"),
        (#"{"input": [1, 28, 28], "layers": [{"conv2": {"out": 8, "kernel": 3}}]}"#, "no layer kind 'conv2' (did you mean 'conv'?)"),
        (#"{"input": [1, 28, 28], "layers": [{"conv": {"out": 8, "kernal": 3}}]}"#, "has no size 'kernal' (did you mean 'kernel'?)"),
        (#"{"input": [1, 28, 28], "layers": [{"conv": {"kernel": 3}}]}"#, "layer 0 (conv) needs out"),
        (#"{"input": [1, 28, 28], "layers": [{"conv": {"in": 3, "out": 8, "kernel": 3}}]}"#, "says in: 3 but receives 1 channels"),
        (#"{"input": [784], "layers": [{"conv": {"out": 8, "kernel": 3}}]}"#, "a convolution needs [channels, height, width]"),
        (#"{"input": [1, 28, 28], "layers": [{"maxpool": {"kernel": 40}}]}"#, "layer 0 (pool) receives [1, 28, 28] and cannot take it"),
        (#"{"input": [1, 28, 28], "layers": [{"dropout": {"p": 1.5}}]}"#, "dropout probability 1.5"),
        (#"{"input": [784], "layers": [{"linear": {"out": 2.5}}]}"#, "must be a whole number"),
        (#"{"input": [1, 28, 28], "layer": []}"#, "no key 'layer' (did you mean 'layers'?)"),
        (#"{"input": [0, 28], "layers": ["relu"]}"#, "must be positive"),
        (#"{"layers": ["relu"]}"#, "needs input"),
        (#"{"input": [1, 28, 28], "layers": [42]}"#, "layer 0 is neither a kind"),
        (#"resnet"#, "unknown model 'resnet'"),
        (#"{"input": [3, 8, 8], "layers": [{"residual": [{"conv": {"out": 4, "kernel": 3, "stride": 2, "padding": 1}}]}]}"#,
         "layer 0 (residual): its layers turn [3, 8, 8] into [4, 4, 4], which cannot be added to its input; give it a projection"),
        (#"{"input": [3, 8, 8], "layers": [{"residual": {"layers": ["relu"], "projection": [{"conv": {"out": 3, "kernel": 1, "stride": 2}}]}}]}"#,
         "its layers make [3, 8, 8] but its projection makes [3, 4, 4]"),
        (#"{"input": [3, 8, 8], "layers": ["relu", {"residual": ["relu", {"linear": {"out": 3}}]}]}"#,
         "layer 1 (residual), its layer 1 (linear) receives [3, 8, 8]"),
        (#"{"input": [3, 8, 8], "layers": [{"residual": {"layers": []}}]}"#, "layers must be a non-empty list"),
        (#"{"input": [3, 8, 8], "layers": [{"groupnorm": {"groups": 2}}]}"#, "groups 2 must divide the 3 channels"),
        (#"{"input": [3, 8, 8], "layers": [{"groupnorm": {}}]}"#, "layer 0 (groupnorm) needs groups"),
        (#"{"input": [12], "layers": [{"groupnorm": {"groups": 3}}]}"#, "a group normalization needs [channels, positions...]"),
        (#"{"input": [12], "layers": [{"layernorm": {"dims": 2}}]}"#, "dims 2 must be between 1 and the 1 dimensions"),
        (#"{"input": [12], "layers": ["globalavgpol"]}"#, "no layer kind 'globalavgpol' (did you mean 'globalavgpool'?)"),
        (#"{"input": [12], "layers": ["globalavgpool"]}"#, "globalavgpool needs [channels, positions...]"),
        (#"{"input": [1, 28, 28], "layers": [{"lstm": {"hidden": 8}}]}"#, "layer 0 (lstm) receives [1, 28, 28]; an LSTM needs [steps, features]"),
        (#"{"input": [80], "layers": [{"embedding": {"vocab": 80}}]}"#, "layer 0 (embedding) needs dim"),
        (#"{"input": [80, 4], "layers": [{"embedding": {"vocab": 80, "dim": 8}}]}"#, "an embedding needs a sequence of token indices [steps]"),
        (#"{"input": [80], "layers": [{"embedding": {"vocab": 80, "dim": 8}}, {"lstm": {"hidden": 8, "in": 4}}]}"#, "says in: 4 but receives 8 features"),
        (#"{"input": [80], "layers": [{"embedding": {"vocab": 80, "dim": 8}}, "last", "last"]}"#, "layer 2 (last) receives [8] and cannot take it"),
        (#"{"input": [3, 8, 8], "layers": [{"batchnorm": {"channels": 4}}]}"#, "layer 0 (batchnorm) says channels: 4 but receives 3 channels"),
        (#"{"input": [3, 8, 8], "layers": [{"batchnorm": {"momentum": 0.5}}]}"#, "layer 0 (batchnorm) has no size 'momentum'; it takes channels"),
        // Impossible sizes are refused before anything is allocated.
        (#"{"input": [784], "layers": [{"linear": {"out": 1000000000000}}]}"#, "layer 0 (fc): size 1000000000000 is beyond 2,147,483,647"),
        (#"{"input": [784], "layers": [{"linear": {"out": 1000000}}]}"#, "would have 7.8e+08 parameters; at most 500,000,000 are allowed"),
        (#"{"input": [3, 32, 32], "layers": [{"conv": {"out": 100000, "kernel": 3, "padding": 1000}}]}"#,
         "layer 0 (conv1) makes [100000, 2030, 2030], 4.1e+11 values per sample; at most 268,435,456"),
        (#"{"input": [100000, 100000, 100000], "layers": ["relu"]}"#, "its input makes [100000, 100000, 100000]"),
        (#"{"input": [3, 32, 32], "layers": [{"conv": {"out": 8, "kernel": 3, "padding": 9000000000}}]}"#, "padding 9000000000 is beyond"),
    ])
    func mistakesAreTold(json: String, says: String) {
        #expect { try Self.spec(json) } throws: { "\($0)".contains(says) }
    }

    @Test func theTextOfASpecReadsBackAsTheSameSpec() throws {
        #expect(ModelDeclaration.text(for: .mnistCNN) == "mnist-cnn")
        let declared = try Self.spec(#"{"input": [3, 8, 8], "layers": [{"conv": {"out": 4, "kernel": 3, "stride": 2, "padding": 1}}, {"avgpool": {"kernel": 2, "stride": 1}}, "flatten", {"dropout": {"p": 0.5}}, {"linear": {"out": 3}}]}"#)
        #expect(try Self.spec(ModelDeclaration.text(for: declared)) == declared)
        let deep = try Self.spec(#"{"input": [3, 8, 8], "layers": [{"groupnorm": {"groups": 3}}, "batchnorm", {"residual": {"layers": [{"batchnorm": {}}, {"conv": {"out": 6, "kernel": 3, "stride": 2, "padding": 1}}, "gelu"], "projection": [{"conv": {"out": 6, "kernel": 1, "stride": 2}}]}}, {"residual": ["tanh", "sigmoid"]}, "globalavgpool", {"layernorm": {}}, "logsoftmax"]}"#)
        #expect(try Self.spec(ModelDeclaration.text(for: deep)) == deep)
        let text = try Self.spec(#"{"input": [80], "layers": [{"embedding": {"vocab": 80, "dim": 8}}, {"lstm": {"hidden": 16, "layers": 2}}, "last", {"linear": {"out": 80}}]}"#)
        #expect(try Self.spec(ModelDeclaration.text(for: text)) == text)
        #expect(text.layers[1] == .lstm(inputs: 8, hidden: 16, layers: 2))
        #expect(text.parameterCount == 80 * 8 + 4 * 16 * (8 + 16 + 2) + 4 * 16 * (16 + 16 + 2) + 16 * 80 + 80)
        #expect(try Model(spec: text, seed: 1).parameters.scalarCount == text.parameterCount)
    }

    /// A residual block's summary rows: the block with all its parameters, then its layers and
    /// its projection's under its name; parameters are named the same way.
    @Test func aResidualBlockIsSummarizedWithItsLayers() throws {
        let spec = try Self.spec(#"{"input": [4, 8, 8], "layers": [{"residual": {"layers": [{"conv": {"out": 8, "kernel": 3, "stride": 2, "padding": 1}}, {"groupnorm": {"groups": 2}}], "projection": [{"conv": {"out": 8, "kernel": 1, "stride": 2}}]}}, "globalavgpool"]}"#)
        let rows = try spec.summary()
        #expect(rows.map(\.name) == ["block1", "block1.conv1", "block1.gn1", "block1.shortcut.conv1", "globalavgpool1"])
        #expect(rows.map(\.depth) == [0, 1, 1, 1, 0])
        #expect(rows[0].parameters == (8 * 4 * 9 + 8) + 16 + (8 * 4 + 8) && rows[0].parameters == spec.parameterCount)
        #expect(rows[0].outputShape == [8, 4, 4] && rows[4].outputShape == [8])
        let names = try Model(spec: spec, seed: 1).parameters.names
        #expect(names == ["block1.conv1.weight", "block1.conv1.bias", "block1.gn1.weight", "block1.gn1.bias",
                          "block1.shortcut.conv1.weight", "block1.shortcut.conv1.bias"])
    }
}

/// The architectures from the literature, built in by name.
@Suite("Literature models")
struct LiteratureModelTests {
    @Test func theirSizesAreThePapers() throws {
        // ResNet-20: 0.27 M (He et al. 2016); ours adds conv biases and projection shortcuts.
        let resnet = try ModelSpec.named("resnet20-gn")
        #expect(try resnet.validate() == [10] && resnet.parameterCount == 273_258)
        #expect(resnet.layers.filter { if case .residual = $0 { true } else { false } }.count == 9)
        let lstm = try ModelSpec.named("shakespeare-lstm")
        #expect(try lstm.validate() == [80] && lstm.parameterCount == 819_920)
        #expect(try ModelSpec.named("tabular-mlp").parameterCount == 5_250)
        for name in ["resnet20-gn", "shakespeare-lstm", "tabular-mlp"] {
            let spec = try ModelSpec.named(name)
            #expect(try Model(spec: spec, seed: 1).parameters.scalarCount == spec.parameterCount, "\(name)")
            // The declaration a user copies builds the same model.
            #expect(try ModelDeclaration.spec(fromText: ModelDeclaration.json(for: spec)) == spec, "\(name)")
            #expect(ModelDeclaration.text(for: spec) == name)
        }
    }
}
