import Foundation
import TesseraTensor

/// A model's parameters, optionally an optimizer's state, and string metadata, stored as one
/// safetensors file. Parameters keep their own names ("conv1.weight"); optimizer buffers are
/// stored as "optimizer.<buffer>.<parameter>", with the optimizer's kind and step in metadata.
public struct Checkpoint: Sendable {
    /// The model parameters.
    public var parameters: ParameterSet
    /// The optimizer state, if saved.
    public var optimizer: OptimizerState?
    /// Free-form metadata (model name, round, seed…).
    public var metadata: [String: String]

    /// A checkpoint of `parameters` with optional optimizer state and metadata.
    public init(parameters: ParameterSet, optimizer: OptimizerState? = nil, metadata: [String: String] = [:]) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.metadata = metadata
    }

    /// The checkpoint as safetensors bytes.
    public func encoded() throws -> Data {
        var tensors = parameters.entries
        var metadata = self.metadata
        if let optimizer {
            metadata["optimizer.kind"] = optimizer.kind
            metadata["optimizer.step"] = String(optimizer.step)
            for (buffer, set) in optimizer.buffers.sorted(by: { $0.key < $1.key }) {
                tensors += set.entries.map { (name: "optimizer.\(buffer).\($0.name)", tensor: $0.tensor) }
            }
        }
        return try SafeTensors.encode(tensors, metadata: metadata)
    }

    /// Decodes a checkpoint written by ``encoded()``.
    ///
    /// - Throws: ``NNError`` for a malformed file or inconsistent optimizer entries.
    public init(decoding file: Data) throws {
        let (tensors, metadata) = try SafeTensors.decode(file)
        var parameterEntries: [(name: String, tensor: Tensor)] = []
        var bufferEntries: [String: [(name: String, tensor: Tensor)]] = [:]
        for (name, tensor) in tensors {
            if name.hasPrefix("optimizer.") {
                let rest = name.dropFirst("optimizer.".count)
                guard let dot = rest.firstIndex(of: ".") else {
                    throw NNError(.invalidCheckpoint, "optimizer entry '\(name)' has no parameter name")
                }
                bufferEntries[String(rest[..<dot]), default: []].append((String(rest[rest.index(after: dot)...]), tensor))
            } else {
                parameterEntries.append((name, tensor))
            }
        }
        parameters = try ParameterSet(parameterEntries)
        var remaining = metadata
        if let kind = remaining.removeValue(forKey: "optimizer.kind") {
            guard let stepText = remaining.removeValue(forKey: "optimizer.step"), let step = Int(stepText) else {
                throw NNError(.invalidCheckpoint, "optimizer state without a valid optimizer.step")
            }
            var buffers: [String: ParameterSet] = [:]
            for (buffer, entries) in bufferEntries {
                let set = try ParameterSet(entries)
                try set.checkCompatible(with: parameters, operation: "optimizer buffer '\(buffer)'")
                buffers[buffer] = set
            }
            optimizer = OptimizerState(kind: kind, step: step, buffers: buffers)
        } else {
            optimizer = nil
        }
        self.metadata = remaining
    }

    /// Writes the checkpoint to `url` durably: a temporary file, flushed, renamed over the old
    /// one, so a crash or a full disk never leaves half a file.
    ///
    /// - Throws: ``NNError`` (`.writeFailed`) naming the file and the reason; the previous
    ///   checkpoint is then intact.
    public func write(to url: URL) throws {
        try DurableFile.write(try encoded(), to: url)
    }

    /// Reads a checkpoint from `url`.
    ///
    /// - Throws: ``NNError`` for a malformed file; Foundation's error when it cannot be read.
    public init(contentsOf url: URL) throws {
        try self.init(decoding: Data(contentsOf: url))
    }
}
