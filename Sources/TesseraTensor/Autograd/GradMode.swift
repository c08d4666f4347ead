/// Whether ops record the autograd graph in the current task (or thread).
public enum GradMode {
    @TaskLocal static var isEnabled = true

    /// Whether ops currently record gradients.
    public static var isRecording: Bool { isEnabled }

    /// Runs `body` without recording the autograd graph (evaluation, optimizer updates).
    public static func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
        try $isEnabled.withValue(false, operation: body)
    }
}
