import Foundation

/// Where a run's data comes from: real MNIST found on disk, or the built-in synthetic digits
/// when no MNIST is found (so every command works on a fresh machine); by name, generated
/// colour images (3×32×32) or text (80-character sequences) for the other models; or a file of
/// the user's (`.npz`, `.safetensors`, `.csv`: `docs/DATA.md`).
public enum DataSource: Sendable, Equatable {
    /// MNIST from this directory.
    case mnist(URL)
    /// The generated synthetic digits.
    case synthetic
    /// Generated 3×32×32 colour images of 10 classes (``SyntheticColorImages``): `synthetic-images`.
    case syntheticImages
    /// Generated 80-character sequences labelled with the next character (``SyntheticText``):
    /// `synthetic-text`.
    case syntheticText
    /// A data file (``DataCatalog`` reads it).
    case file(URL)

    /// Directories searched for MNIST after an explicit `--data`, in order: `TESSERA_DATA`,
    /// `../shared/data/mnist`, `~/.cache/tessera/mnist`.
    public static func searchPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        var directories: [URL] = []
        if let fromEnvironment = environment["TESSERA_DATA"], !fromEnvironment.isEmpty {
            directories.append(URL(fileURLWithPath: fromEnvironment))
        }
        directories.append(URL(fileURLWithPath: "../shared/data/mnist"))
        let home = environment["HOME"] ?? NSHomeDirectory()
        directories.append(URL(fileURLWithPath: home).appendingPathComponent(".cache/tessera/mnist"))
        return directories
    }

    /// Why `auto` settled on generated digits, in a phrase: where it looked for MNIST.
    public static func notFoundNote(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        "no MNIST in \(searchPath(environment: environment).map(\.path).joined(separator: ", ")); --data (data.source in a topology) or TESSERA_DATA names one"
    }

    /// Finds the data: an explicit `.npz`, `.safetensors` or `.csv` file must exist, an explicit
    /// directory must hold MNIST (or be the word `synthetic`, ...); otherwise the first directory
    /// of ``searchPath(environment:)`` that holds MNIST, else the synthetic set.
    ///
    /// - Throws: ``DataError`` (`.notFound`) when an explicit file or directory is missing or
    ///   lacks the files.
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DataSource {
        if let explicit {
            switch explicit {
            case "synthetic": return .synthetic
            case "synthetic-images": return .syntheticImages
            case "synthetic-text": return .syntheticText
            default: break
            }
            if DataFile.extensions.contains(URL(fileURLWithPath: explicit).pathExtension.lowercased()) {
                guard FileManager.default.isReadableFile(atPath: explicit) else {
                    throw DataError(.notFound, "--data \(explicit): no such file (or it cannot be read); paths are as the workers see them")
                }
                return .file(URL(fileURLWithPath: explicit))
            }
            let directory = URL(fileURLWithPath: explicit)
            guard MNIST.isPresent(in: directory) else {
                throw DataError(.notFound, "--data \(explicit): no MNIST IDX files there (train-images-idx3-ubyte[.gz] and the other three); pass a directory that has them, a .npz, .safetensors or .csv file, or synthetic, synthetic-images or synthetic-text")
            }
            return .mnist(directory)
        }
        for directory in searchPath(environment: environment) where MNIST.isPresent(in: directory) {
            return .mnist(directory)
        }
        return .synthetic
    }

    /// What it is, in a phrase for records: "MNIST from DIR" or "synthetic digits".
    public var name: String {
        switch self {
        case let .mnist(directory): "MNIST from \(directory.path)"
        case .synthetic: "synthetic digits"
        case .syntheticImages: "synthetic colour images"
        case .syntheticText: "synthetic text"
        case let .file(url): url.path
        }
    }

    /// ``name``, and when a search (`auto`) settled on generated digits, where it looked: a run
    /// on them is then no surprise.
    public func name(foundBySearch: Bool) -> String {
        guard foundBySearch, case .synthetic = self else { return name }
        return "\(name) (\(Self.notFoundNote()))"
    }

    /// A line for people saying what was chosen (and, for synthetic, why).
    public var summary: String {
        switch self {
        case let .mnist(directory): "MNIST from \(directory.path)"
        case .synthetic: "using the built-in synthetic digits (\(Self.notFoundNote()))"
        case .syntheticImages: "synthetic colour images (3×32×32, 10 classes)"
        case .syntheticText: "synthetic text (sequences of 80 characters, the next one to predict)"
        case let .file(url): "data from \(url.path)"
        }
    }

    /// Loads the training and test splits whole (``DataCatalog`` reads a file's samples as asked).
    ///
    /// - Throws: ``DataError`` when the files are unreadable or malformed.
    public func load(seed: UInt64 = 0, options: DataOptions = DataOptions()) throws -> (train: Dataset, test: Dataset) {
        let catalog = try DataCatalog(self, options: options, seed: seed)
        return (try catalog.training(Array(catalog.labels.indices)), try catalog.testSet())
    }

    /// The splits of a source held in memory (MNIST, generated).
    func generated(seed: UInt64) throws -> (train: Dataset, test: Dataset) {
        switch self {
        case let .mnist(directory): try MNIST.load(from: directory)
        case .synthetic: try SyntheticDigits.make(seed: seed)
        case .syntheticImages: try SyntheticColorImages.make(seed: seed)
        case .syntheticText: try SyntheticText.make(seed: seed)
        case .file: throw DataError(.invalidArgument, "a data file is read through DataCatalog")
        }
    }
}
