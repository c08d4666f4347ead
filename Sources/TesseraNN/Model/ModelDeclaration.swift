import Foundation

/// A model declared as data (docs/TOPOLOGY.md, "Your own model"): the input shape and the layers
/// in order, each a kind alone (`relu`) or a kind with its sizes (`{conv: {out: 32, kernel: 5}}`),
/// the sizes a layer can infer (a convolution's input channels, a linear layer's inputs) taken
/// from the shape the layer before it produces. A topology writes it in YAML, the command line
/// and files as JSON; both reach ``spec(from:name:)`` as the same tree.
public enum ModelDeclaration {
    /// The layer kinds and the keys each takes (required, then optional).
    static let kinds: [String: (required: [String], optional: [String])] = [
        "conv": (["out", "kernel"], ["in", "stride", "padding"]),
        "linear": (["out"], ["in"]),
        "maxpool": (["kernel"], ["stride"]),
        "avgpool": (["kernel"], ["stride"]),
        "dropout": (["p"], []),
        "relu": ([], []),
        "flatten": ([], []),
        "sigmoid": ([], []),
        "tanh": ([], []),
        "gelu": ([], []),
        "logsoftmax": ([], []),
        "globalavgpool": ([], []),
        "batchnorm": ([], ["channels"]),
        "groupnorm": (["groups"], ["channels"]),
        "layernorm": ([], ["dims"]),
        "residual": (["layers"], ["projection"]),
        "embedding": (["vocab", "dim"], []),
        "lstm": (["hidden"], ["layers", "in"]),
        "last": ([], []),
    ]

    /// The spec declared in `text`: a built-in model's name, or a JSON object
    /// `{"input": [C, H, W], "layers": [...], "name": "..."}`.
    ///
    /// - Throws: ``NNError`` (`.invalidSpec`) naming the layer, its kind, the shape it received
    ///   and what it needed; `.unknownModel` for a name that is not built in.
    public static func spec(fromText text: String) throws -> ModelSpec {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{") else { return try ModelSpec.named(trimmed) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) else {
            throw NNError(.invalidSpec, "the model declaration is not a JSON object")
        }
        return try spec(from: object, name: "declared")
    }

    /// The spec declared by `tree` (parsed JSON or YAML: dictionaries, arrays, strings and
    /// numbers), named `name` unless it names itself.
    ///
    /// - Throws: ``NNError`` (`.invalidSpec`) for anything that does not declare a model that fits.
    public static func spec(from tree: Any, name: String) throws -> ModelSpec {
        guard let object = tree as? [String: Any] else { throw NNError(.invalidSpec, "a model declaration is a mapping with input and layers") }
        if let unknown = object.keys.first(where: { !["input", "layers", "name"].contains($0) }) {
            throw NNError(.invalidSpec, "the model declaration has no key '\(unknown)'" + NearestName.hint(for: unknown, in: ["input", "layers", "name"])
                          + "; it takes input, layers and name")
        }
        guard let input = (object["input"] as? [Any])?.map(integer), input.allSatisfy({ $0 != nil }), !input.isEmpty else {
            throw NNError(.invalidSpec, "the model declaration needs input: the shape of one sample, e.g. [1, 28, 28]")
        }
        guard let items = object["layers"] as? [Any], !items.isEmpty else {
            throw NNError(.invalidSpec, "the model declaration needs layers: a list such as [{conv: {out: 32, kernel: 5}}, relu, flatten, {linear: {out: 10}}]")
        }
        let inputShape = input.compactMap { $0 }
        guard inputShape.allSatisfy({ $0 > 0 }) else { throw NNError(.invalidSpec, "the model's input shape \(inputShape) must be positive") }
        let layers = try self.layers(items, receiving: inputShape, place: { "layer \($0)" }).layers
        let spec = ModelSpec(name: (object["name"] as? String) ?? name, inputShape: inputShape, layers: layers)
        try spec.validate()
        return spec
    }

    /// The layers declared by `items`, receiving per-sample inputs of `shape`, and the shape they
    /// make; `place` names the item at an index in messages ("layer 3", "layer 3 (residual),
    /// its layer 1").
    private static func layers(_ items: [Any], receiving shape: [Int], place: (Int) -> String) throws -> (layers: [LayerSpec], shape: [Int]) {
        var shape = shape
        var layers: [LayerSpec] = []
        for (index, item) in items.enumerated() {
            let layer = try self.layer(item, receiving: shape, place: place(index))
            try layer.validate(at: index)
            do {
                shape = try layer.makeLayer().outputShape(for: shape)
            } catch {
                throw NNError(.invalidSpec, "\(place(index)) (\(layer.nameStem)) receives \(shape) and cannot take it: \(error)")
            }
            layers.append(layer)
        }
        return (layers, shape)
    }

    /// The layer that `item` declares at `place`, which receives per-sample inputs of `shape`.
    private static func layer(_ item: Any, receiving shape: [Int], place: String) throws -> LayerSpec {
        let (kind, sizes): (String, [String: Any])
        if let bare = item as? String {
            (kind, sizes) = (bare, [:])
        } else if let entry = item as? [String: Any], entry.count == 1, let (key, value) = entry.first {
            if key == "residual", let branch = value as? [Any] { return try residual(["layers": branch], receiving: shape, place: place) }
            guard let values = value as? [String: Any] ?? (value is NSNull ? [:] : nil) else {
                throw NNError(.invalidSpec, "\(place) (\(key)): its sizes are a mapping, e.g. {\(key): {\((kinds[key]?.required.first).map { "\($0): 8" } ?? "")}}")
            }
            (kind, sizes) = (key, values)
        } else {
            throw NNError(.invalidSpec, "\(place) is neither a kind (relu) nor one kind with its sizes ({linear: {out: 10}})")
        }
        guard let keys = kinds[kind] else {
            throw NNError(.invalidSpec, "\(place): no layer kind '\(kind)'" + NearestName.hint(for: kind, in: kinds.keys)
                          + "; kinds: \(kinds.keys.sorted().joined(separator: ", "))")
        }
        if let unknown = sizes.keys.first(where: { !(keys.required + keys.optional).contains($0) }) {
            throw NNError(.invalidSpec, "\(place) (\(kind)) has no size '\(unknown)'" + NearestName.hint(for: unknown, in: keys.required + keys.optional)
                          + "; it takes \((keys.required + keys.optional).joined(separator: ", "))")
        }
        if let missing = keys.required.first(where: { sizes[$0] == nil }) {
            throw NNError(.invalidSpec, "\(place) (\(kind)) needs \(missing)")
        }
        func size(_ key: String, default value: Int? = nil) throws -> Int {
            guard let raw = sizes[key] else {
                guard let value else { throw NNError(.invalidSpec, "\(place) (\(kind)) needs \(key)") }
                return value
            }
            guard let number = integer(raw) else { throw NNError(.invalidSpec, "\(place) (\(kind)): \(key) must be a whole number, not \(raw)") }
            return number
        }
        switch kind {
        case "conv":
            guard shape.count == 3 else {
                throw NNError(.invalidSpec, "\(place) (conv) receives \(shape); a convolution needs [channels, height, width]")
            }
            let channels = try size("in", default: shape[0])
            guard channels == shape[0] else {
                throw NNError(.invalidSpec, "\(place) (conv) says in: \(channels) but receives \(shape[0]) channels (\(shape))")
            }
            return .conv2d(inputChannels: channels, outputChannels: try size("out"), kernel: try size("kernel"),
                           stride: try size("stride", default: 1), padding: try size("padding", default: 0))
        case "linear":
            guard shape.count == 1 else {
                throw NNError(.invalidSpec, "\(place) (linear) receives \(shape); a linear layer needs one dimension of features: put flatten before it")
            }
            let inputs = try size("in", default: shape[0])
            guard inputs == shape[0] else {
                throw NNError(.invalidSpec, "\(place) (linear) says in: \(inputs) but receives \(shape[0]) features")
            }
            return .linear(inputs: inputs, outputs: try size("out"))
        case "maxpool", "avgpool":
            let kernel = try size("kernel")
            let stride = try size("stride", default: kernel)
            return kind == "maxpool" ? .maxPool2d(kernel: kernel, stride: stride) : .avgPool2d(kernel: kernel, stride: stride)
        case "dropout":
            guard let p = (sizes["p"] as? Double).map(Float.init) ?? (sizes["p"] as? Int).map(Float.init)
                    ?? (sizes["p"] as? String).flatMap(Float.init) else {
                throw NNError(.invalidSpec, "\(place) (dropout): p must be a number")
            }
            return .dropout(probability: p)
        case "batchnorm":
            let channels = try size("channels", default: shape[0])
            guard channels == shape[0] else {
                throw NNError(.invalidSpec, "\(place) (batchnorm) says channels: \(channels) but receives \(shape[0]) channels (\(shape))")
            }
            return .batchNorm(channels: channels)
        case "groupnorm":
            guard shape.count >= 2 else {
                throw NNError(.invalidSpec, "\(place) (groupnorm) receives \(shape); a group normalization needs [channels, positions...]")
            }
            let channels = try size("channels", default: shape[0])
            guard channels == shape[0] else {
                throw NNError(.invalidSpec, "\(place) (groupnorm) says channels: \(channels) but receives \(shape[0]) channels (\(shape))")
            }
            let groups = try size("groups")
            guard groups > 0, channels % groups == 0 else {
                throw NNError(.invalidSpec, "\(place) (groupnorm): groups \(groups) must divide the \(channels) channels it receives")
            }
            return .groupNorm(groups: groups, channels: channels)
        case "layernorm":
            let dims = try size("dims", default: 1)
            guard dims >= 1, dims <= shape.count else {
                throw NNError(.invalidSpec, "\(place) (layernorm): dims \(dims) must be between 1 and the \(shape.count) dimensions it receives (\(shape))")
            }
            return .layerNorm(shape: Array(shape.suffix(dims)))
        case "residual": return try residual(sizes, receiving: shape, place: place)
        case "embedding":
            guard shape.count == 1 else {
                throw NNError(.invalidSpec, "\(place) (embedding) receives \(shape); an embedding needs a sequence of token indices [steps]")
            }
            return .embedding(vocabulary: try size("vocab"), dimension: try size("dim"))
        case "lstm":
            guard shape.count == 2 else {
                throw NNError(.invalidSpec, "\(place) (lstm) receives \(shape); an LSTM needs [steps, features] (an embedding before it makes them from tokens)")
            }
            let inputs = try size("in", default: shape[1])
            guard inputs == shape[1] else {
                throw NNError(.invalidSpec, "\(place) (lstm) says in: \(inputs) but receives \(shape[1]) features (\(shape))")
            }
            return .lstm(inputs: inputs, hidden: try size("hidden"), layers: try size("layers", default: 1))
        case "last": return .lastStep
        case "relu": return .relu
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "gelu": return .gelu
        case "logsoftmax": return .logSoftmax
        case "globalavgpool": return .globalAvgPool
        default: return .flatten
        }
    }

    /// A residual block declared by `sizes` (`layers`, optionally `projection`) at `place`: its
    /// branch and projection must make the same shape, the branch its input's without one.
    private static func residual(_ sizes: [String: Any], receiving shape: [Int], place: String) throws -> LayerSpec {
        guard let items = sizes["layers"] as? [Any], !items.isEmpty else {
            throw NNError(.invalidSpec, "\(place) (residual): layers must be a non-empty list, e.g. {residual: [{conv: {out: 16, kernel: 3, padding: 1}}, relu]}")
        }
        let branch = try layers(items, receiving: shape, place: { "\(place) (residual), its layer \($0)" })
        var projection: (layers: [LayerSpec], shape: [Int]) = ([], shape)
        if let raw = sizes["projection"] {
            guard let items = raw as? [Any], !items.isEmpty else {
                throw NNError(.invalidSpec, "\(place) (residual): projection must be a non-empty list of layers, e.g. [{conv: {out: 32, kernel: 1, stride: 2}}]")
            }
            projection = try layers(items, receiving: shape, place: { "\(place) (residual), its projection's layer \($0)" })
        }
        guard branch.shape == projection.shape else {
            throw NNError(.invalidSpec, sizes["projection"] == nil
                          ? "\(place) (residual): its layers turn \(shape) into \(branch.shape), which cannot be added to its input; give it a projection that makes \(branch.shape), e.g. projection: [{conv: {out: \(branch.shape.first ?? 1), kernel: 1, stride: 2}}]"
                          : "\(place) (residual): its layers make \(branch.shape) but its projection makes \(projection.shape); they must agree to be added")
        }
        return .residual(layers: branch.layers, projection: projection.layers)
    }

    /// `spec` as the text the `model` setting reads back: a built-in's name, else its
    /// declaration as JSON (every size written out), so that a run directory's settings resume it.
    public static func text(for spec: ModelSpec) -> String {
        ModelSpec.builtIn[spec.name] == spec ? spec.name : json(for: spec)
    }

    /// `spec`'s declaration as JSON, every size written out, built-in or not: what a
    /// checkpoint's `architecture` metadata holds, for a reader elsewhere to rebuild the model
    /// (scripts/tessera_torch.py builds it in PyTorch).
    public static func json(for spec: ModelSpec) -> String {
        let object: [String: Any] = ["name": spec.name, "input": spec.inputShape, "layers": spec.layers.map(declaration)]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// `layer` as a declaration reads it, every size written out.
    private static func declaration(_ layer: LayerSpec) -> Any {
        switch layer {
        case let .conv2d(input, output, kernel, stride, padding):
            ["conv": ["in": input, "out": output, "kernel": kernel, "stride": stride, "padding": padding]]
        case let .linear(inputs, outputs): ["linear": ["in": inputs, "out": outputs]]
        case let .maxPool2d(kernel, stride): ["maxpool": ["kernel": kernel, "stride": stride]]
        case let .avgPool2d(kernel, stride): ["avgpool": ["kernel": kernel, "stride": stride]]
        case let .dropout(probability): ["dropout": ["p": Double(probability)]]
        case let .batchNorm(channels): ["batchnorm": ["channels": channels]]
        case let .groupNorm(groups, channels): ["groupnorm": ["groups": groups, "channels": channels]]
        case let .layerNorm(shape): ["layernorm": ["dims": shape.count]]
        case let .residual(layers, projection):
            ["residual": projection.isEmpty ? ["layers": layers.map(declaration)]
                                            : ["layers": layers.map(declaration), "projection": projection.map(declaration)]]
        case let .embedding(vocabulary, dimension): ["embedding": ["vocab": vocabulary, "dim": dimension]]
        case let .lstm(inputs, hidden, layers): ["lstm": ["in": inputs, "hidden": hidden, "layers": layers]]
        case .relu, .flatten, .sigmoid, .tanh, .gelu, .logSoftmax, .globalAvgPool, .lastStep: layer.nameStem
        }
    }

    /// A whole number from JSON or YAML (a number without a fraction, or its text).
    private static func integer(_ value: Any) -> Int? {
        if let text = value as? String { return Int(text) }
        if let int = value as? Int { return int }
        if let double = value as? Double { return double == double.rounded() && abs(double) < 1e15 ? Int(double) : nil }
        return nil
    }
}
