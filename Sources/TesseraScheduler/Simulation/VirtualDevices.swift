import Foundation
import TesseraTensor

/// The devices of a run on virtual time (`simulation.clock: virtual`): for each client, by its
/// index, how fast it computes and how fast its link is, drawn from the run's seed (log-normal
/// around a median phone-class device), so that a run replays. The scheduler reckons each
/// sampled client's virtual duration itself, from its share of the data, the model's size and
/// its device, never from what the client reports.
public struct VirtualDevices: Sendable {
    /// Floating-point operations a second of the median device training.
    public static let medianFlops = 1e9
    /// Bytes a second of the median link (20 Mbit/s).
    public static let medianBandwidth = 2.5e6
    /// Seconds of the median link's latency, each way.
    public static let medianLatency = 0.05
    /// The spread of the speeds' logarithms: a tenth of the devices are about 2× slower than
    /// the median, a tenth 2× faster.
    public static let spread = 0.5

    private let seed: UInt64
    /// Devices from a file, instead of the draws.
    private let trace: DeviceTrace?

    /// The devices of the run seeded with `seed`, or `trace`'s.
    public init(seed: UInt64, trace: DeviceTrace? = nil) {
        self.seed = seed
        self.trace = trace
    }

    /// Whether some device is out of reach at times (a trace with online windows).
    public var comesAndGoes: Bool { trace?.devices.contains { !$0.online.isEmpty } ?? false }

    /// Client `client`'s device: its row of the trace, or a compute and a link speed drawn
    /// log-normally around the median device's.
    public func device(of client: Int) -> DeviceTrace.Device {
        if let trace { return trace.device(of: client) }
        var generator = SeededGenerator(seed: (seed ^ 0x5EED_DE71_CE00_0000) &+ UInt64(client) &* 0x9E37_79B9_7F4A_7C15)
        func logNormal() -> Double {
            let u1 = Double(1 - generator.nextUnitFloat()), u2 = Double(generator.nextUnitFloat())
            return Foundation.exp(Self.spread * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2))
        }
        let (compute, link) = (logNormal(), logNormal())
        return DeviceTrace.Device(flops: Self.medianFlops * compute, bandwidth: Self.medianBandwidth * link,
                                  latency: Self.medianLatency / link, online: [])
    }

    /// Virtual seconds client `client` takes for a train task: the model (`parameters` floats)
    /// down and up its link, and `epochs` passes over `samples` samples at about six operations
    /// per parameter and sample (forward and backward).
    public func trainingSeconds(client: Int, samples: Int, epochs: Int, parameters: Int) -> Double {
        let device = device(of: client)
        let transfer = 2 * (Double(parameters * 4) / device.bandwidth + device.latency)
        return transfer + 6 * Double(parameters) * Double(samples * epochs) / device.flops
    }
}
