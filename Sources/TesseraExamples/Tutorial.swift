import TesseraTensor
import TesseraWorker

/// Runnable counterparts of the PySyft tutorials Tessera's users learned from, on real worker
/// processes. Each part takes the workers it needs, narrates through `say`, and returns what a
/// test checks. Run them with `tessera example PART --workers ENDPOINT,...`.
public enum Tutorial {
    /// A line of narration.
    public typealias Narrator = @Sendable (String) -> Void
}

/// A failed expectation inside a tutorial (the remote results disagree with local ones).
public struct TutorialError: Error, CustomStringConvertible {
    public let description: String
}
