/// How a channel authenticates and encrypts: not at all, or CurveZMQ (Curve25519 keys,
/// encrypted and authenticated end to end by libzmq).
public enum ChannelSecurity: Sendable {
    /// Plain text; anyone who reaches the port can talk. Only for loopback or trusted networks.
    case none
    /// A bound channel with `keys` that admits only clients whose public key is in `allowed`
    /// (public key → name); each delivery carries the sender's name as its authenticated id.
    case curveServer(keys: CurveKeyPair, allowed: [String: String])
    /// A connected channel with `keys`, talking only to the server whose public key is
    /// `serverKey` (pinned: an impostor server cannot complete the handshake).
    case curveClient(keys: CurveKeyPair, serverKey: String)
}
