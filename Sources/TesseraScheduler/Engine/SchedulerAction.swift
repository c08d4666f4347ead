import TesseraNN
import TesseraTransport

/// What the scheduler's state machine asks its driver to do.
public enum SchedulerAction: Sendable {
    /// Send these frames to this peer (the same encoded task goes to every sampled worker).
    case send(EncodedMessage, to: PeerID)
    /// A round's progress: updates accepted so far out of the workers sampled.
    case progress(round: Int, accepted: Int, sampled: Int)
    /// Evaluate these parameters (the model after round or server step `round`) on the test set,
    /// away from the message loop, and hand the result to ``SchedulerMachine/evaluated(_:)``;
    /// evaluations are answered in the order they were asked for.
    case evaluate(ParameterSet, round: Int)
    /// A round is over: append its result to the metrics, then write the checkpoint.
    case roundCompleted(RoundResult, checkpoint: Checkpoint)
    /// The run is over; every worker was told so.
    case finished
    /// The run cannot go on.
    case fail(SchedulerError)
}
