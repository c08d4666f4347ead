import ArgumentParser
import TesseraNN

/// `--model NAME` for the built-in models: ArgumentParser lists them in `--help`, completes
/// them, and names them when the value is not one.
extension ModelSpec: ExpressibleByArgument {
    public init?(argument: String) {
        guard let spec = ModelSpec.builtIn[argument] else { return nil }
        self = spec
    }

    public var defaultValueDescription: String { name }

    public static var allValueStrings: [String] { builtIn.keys.sorted() }
}
