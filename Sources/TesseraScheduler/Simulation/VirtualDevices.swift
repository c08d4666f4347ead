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

    /// The devices of the run seeded with `seed`.
    public init(seed: UInt64) {
        self.seed = seed
    }

    /// Client `client`'s compute and link speed factors (1: the median device).
    func speeds(of client: Int) -> (compute: Double, link: Double) {
        var generator = SeededGenerator(seed: (seed ^ 0x5EED_DE71_CE00_0000) &+ UInt64(client) &* 0x9E37_79B9_7F4A_7C15)
        func logNormal() -> Double {
            let u1 = Double(1 - generator.nextUnitFloat()), u2 = Double(generator.nextUnitFloat())
            return Foundation.exp(Self.spread * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2))
        }
        return (logNormal(), logNormal())
    }

    /// Virtual seconds client `client` takes for a train task: the model (`parameters` floats)
    /// down and up its link, and `epochs` passes over `samples` samples at about six operations
    /// per parameter and sample (forward and backward).
    public func trainingSeconds(client: Int, samples: Int, epochs: Int, parameters: Int) -> Double {
        let (compute, link) = speeds(of: client)
        let transfer = 2 * (Double(parameters * 4) / (Self.medianBandwidth * link) + Self.medianLatency / link)
        return transfer + 6 * Double(parameters) * Double(samples * epochs) / (Self.medianFlops * compute)
    }
}
