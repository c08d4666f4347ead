import TesseraTransport
import TesseraWire

/// What a ``ClientMachine`` asks its driver to do.
public enum ClientAction: Sendable {
    /// Send `message`, answering the peer's message `replyTo` (0: none), to `peer` (nil: the
    /// scheduler the channel is connected to).
    case send(Message, replyTo: UInt64, to: PeerID?)
    /// Run the task away from the message loop, then hand its answer to
    /// ``ClientMachine/taskFinished(_:computeSeconds:)``.
    case startTask(ClientTask)
    /// A request for the worker's tensor service (remote tensors, forwards), not the client's:
    /// the driver answers it.
    case serve(Envelope, from: PeerID?)
    /// The scheduler ended the run: stop.
    case dismissed(reason: String)
    /// The scheduler has been silent this many seconds (`giveUpAfter`): stop with an error.
    case giveUp(seconds: Double)
}
