import TesseraTensor

/// A simulated network link: latency each way, bandwidth each way, and packet loss, applied by
/// ``SimulatedLinkChannel`` to real messages. Loss is modelled as TCP lives it, since ZeroMQ
/// runs over TCP: a lost packet is sent again after a retransmission timeout, so it delays its
/// message rather than dropping it.
public struct LinkProfile: Sendable, Equatable {
    /// Seconds each message takes to arrive after it is on the wire (one way).
    public var latency: Double
    /// Bytes per second each way; nil: as fast as the real link.
    public var bytesPerSecond: Double?
    /// Fraction of packets lost, in [0, 1).
    public var loss: Double

    /// Bytes of payload per TCP packet (a 1500-byte Ethernet MTU less IP and TCP headers).
    public static let packetBytes = 1448

    /// A link with `latency` seconds, `bytesPerSecond` (nil: unlimited) and `loss`.
    public init(latency: Double = 0, bytesPerSecond: Double? = nil, loss: Double = 0) {
        self.latency = latency
        self.bytesPerSecond = bytesPerSecond
        self.loss = loss
    }

    /// Whether the profile changes anything.
    public var isActive: Bool { latency > 0 || bytesPerSecond != nil || loss > 0 }

    /// The retransmission timeout a lost packet costs: TCP's minimum of 200 ms, or two round
    /// trips on slower links.
    public var retransmissionTimeout: Double { max(0.2, 4 * latency) }

    /// Seconds a message of `bytes` occupies the link (its size over the bandwidth).
    public func transferTime(_ bytes: Int) -> Double {
        bytesPerSecond.map { Double(bytes) / $0 } ?? 0
    }

    /// How many of the packets carrying `bytes` are lost (each sent again), drawn with `generator`.
    public func lostPackets(_ bytes: Int, using generator: inout SeededGenerator) -> Int {
        guard loss > 0 else { return 0 }
        let packets = (max(bytes, 1) + Self.packetBytes - 1) / Self.packetBytes
        return (0..<packets).count { _ in Double.random(in: 0..<1, using: &generator) < loss }
    }
}
