import Foundation

/// The privacy a differentially private run has spent: the Rényi differential privacy (RDP) of
/// the Poisson-sampled Gaussian mechanism (Mironov, Talwar and Zhang 2019, "Rényi Differential
/// Privacy of the Sampled Gaussian Mechanism"), added up over the rounds at each of a set of
/// orders, and converted to (ε, δ) at the best order with the bound of Balle et al. 2020
/// ("Hypothesis Testing Interpretations and Renyi Differential Privacy", Proposition 12).
///
/// A round samples each client with probability `q` and adds Gaussian noise of
/// `noiseMultiplier` times the sensitivity (the clip) to the sum of the clipped updates.
/// Checked against Google's dp-accounting (`Tests/.../Fixtures/rdp.json`, `scripts/rdp_fixtures.py`).
public struct PrivacyAccountant: Sendable, Equatable {
    /// The orders RDP is tracked at: 1.1 to 11 by tenths, 12 to 63, and 128 to 1024 (the orders
    /// dp-accounting uses by default).
    public static let defaultOrders: [Double] = {
        let tenths: [Double] = (11...110).map { Double($0) / 10 }
        let whole: [Double] = (12...63).map { Double($0) }
        return tenths + whole + [128, 256, 512, 1024]
    }()

    /// The orders.
    public let orders: [Double]
    /// RDP spent at each order so far.
    public private(set) var spent: [Double]
    /// The rounds composed so far, run by run of equal settings, oldest first (what the PLD
    /// accountant recomputes from); nil when restored from a record that did not keep them.
    public private(set) var history: [Rounds]?

    /// Rounds of the sampled Gaussian mechanism with one sampling rate and noise multiplier.
    public struct Rounds: Sendable, Equatable {
        /// The probability each client was sampled with.
        public var samplingRate: Double
        /// The noise's standard deviation over the sensitivity.
        public var noiseMultiplier: Double
        /// How many rounds.
        public var count: Int
    }

    /// An accountant that has spent nothing.
    public init(orders: [Double] = PrivacyAccountant.defaultOrders) {
        self.orders = orders
        spent = orders.map { _ in 0 }
        history = []
    }

    /// The orders, the RDP spent at each and the rounds, as text that reads back exactly (a
    /// checkpoint carries it): `ORDERS;SPENT;HISTORY`, the first two comma-separated numbers,
    /// the history comma-separated `RATE:MULTIPLIER:COUNT` runs.
    public var snapshot: String {
        orders.map { String($0) }.joined(separator: ",") + ";" + spent.map { String($0) }.joined(separator: ",")
            + (history.map { ";" + $0.map { "\($0.samplingRate):\($0.noiseMultiplier):\($0.count)" }.joined(separator: ",") } ?? "")
    }

    /// The accountant a ``snapshot`` recorded (one written before the history was kept has
    /// none); nil when the text is not one.
    public init?(snapshot: String) {
        let parts = snapshot.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let orders = parts[0].split(separator: ",").compactMap { Double($0) }
        let spent = parts[1].split(separator: ",").compactMap { Double($0) }
        guard !orders.isEmpty, orders.count == spent.count, orders.count == parts[0].split(separator: ",").count,
              spent.count == parts[1].split(separator: ",").count, spent.allSatisfy({ $0 >= 0 && !$0.isNaN }) else { return nil }
        self.orders = orders
        self.spent = spent
        guard parts.count == 3 else { return }
        var history: [Rounds] = []
        for run in parts[2].split(separator: ",") {
            let fields = run.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, let rate = Double(fields[0]), let multiplier = Double(fields[1]), let count = Int(fields[2]),
                  rate >= 0, rate <= 1, multiplier >= 0, multiplier.isFinite, count > 0, count <= Self.maximumRecordedRounds else { return nil }
            history.append(Rounds(samplingRate: rate, noiseMultiplier: multiplier, count: count))
        }
        self.history = history
    }

    /// The most rounds a record may list in one run of settings (far beyond any run; a record
    /// claiming more is not one this code wrote, and its Fourier transform would not fit).
    static let maximumRecordedRounds = 10_000_000

    /// Adds `rounds` rounds that each sampled clients with probability `samplingRate` and added
    /// noise of `noiseMultiplier` times the sensitivity. O(orders × series length).
    public mutating func compose(samplingRate: Double, noiseMultiplier: Double, rounds: Int = 1) {
        guard rounds > 0 else { return }
        for (index, order) in orders.enumerated() {
            spent[index] += Double(rounds) * Self.rdp(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, order: order)
        }
        guard var runs = history else { return }
        if let last = runs.last, last.samplingRate == samplingRate, last.noiseMultiplier == noiseMultiplier {
            runs[runs.count - 1].count += rounds
        } else {
            runs.append(Rounds(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, count: rounds))
        }
        history = runs
    }

    /// The smallest ε for which the rounds so far are (ε, δ)-differentially private, and the
    /// order that gives it.
    public func epsilon(delta: Double) -> (epsilon: Double, order: Double) {
        guard delta > 0 else { return (spent.allSatisfy { $0 == 0 } ? 0 : .infinity, 0) }
        var best = (epsilon: Double.infinity, order: orders.first ?? 0)
        for (order, rdp) in zip(orders, spent) {
            let epsilon: Double
            if rdp < 0 {
                epsilon = 0
            } else if delta * delta + expm1(-rdp) > 0 {
                // Pinsker: δ ≤ sqrt(1 - exp(-KL)) already holds at ε = 0.
                epsilon = 0
            } else if order > 1.01 {
                epsilon = rdp + log1p(-1 / order) - log(delta * order) / (order - 1)
            } else {
                epsilon = .infinity
            }
            if epsilon < best.epsilon { best = (epsilon, order) }
        }
        return (max(0, best.epsilon), best.order)
    }

    /// RDP at `order` of one round of the sampled Gaussian mechanism; infinite when the series
    /// does not converge (that order is then of no use).
    public static func rdp(samplingRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) -> Double {
        if q <= 0 { return 0 }
        if sigma <= 0 || alpha.isInfinite { return .infinity }
        if q >= 1 { return alpha / (2 * sigma * sigma) }
        let logA = alpha == alpha.rounded() ? logAInteger(q, sigma, Int(alpha)) : logAFractional(q, sigma, alpha)
        return logA / (alpha - 1)
    }

    /// log A_α for integer α: the binomial expansion of E[(μ₀ + q(μ₁ - μ₀))^α / μ₀^α]
    /// (Mironov et al. 2019, Section 3.3).
    static func logAInteger(_ q: Double, _ sigma: Double, _ alpha: Int) -> Double {
        var logA = -Double.infinity
        let logQ = log(q), log1MinusQ = log1p(-q)
        for i in 0...alpha {
            let k = Double(i)
            let term = logBinomial(Double(alpha), k) + k * logQ + Double(alpha - i) * log1MinusQ + (k * k - k) / (2 * sigma * sigma)
            logA = logAdd(logA, term)
        }
        return logA
    }

    /// log A_α for fractional α: the two integrals on either side of z₀ as series, each summed
    /// until its terms are decreasing and negligible (Mironov et al. 2019, Section 3.3).
    static func logAFractional(_ q: Double, _ sigma: Double, _ alpha: Double) -> Double {
        var (logA0, logA1) = (-Double.infinity, -Double.infinity)
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let logQ = log(q), log1MinusQ = log1p(-q)
        var (previous0, previous1) = (-Double.infinity, -Double.infinity)
        for i in 0..<maximumTerms {
            let k = Double(i), j = alpha - k
            let coefficient = logBinomial(alpha, k)
            let t0 = coefficient + k * logQ + j * log1MinusQ
            let t1 = coefficient + j * logQ + k * log1MinusQ
            let e0 = log(0.5) + logErfc((k - z0) / (2.0.squareRoot() * sigma))
            let e1 = log(0.5) + logErfc((z0 - j) / (2.0.squareRoot() * sigma))
            let s0 = t0 + (k * k - k) / (2 * sigma * sigma) + e0
            let s1 = t1 + (j * j - j) / (2 * sigma * sigma) + e1
            logA0 = logAdd(logA0, s0)
            logA1 = logAdd(logA1, s1)
            let total = logAdd(logA0, logA1)
            if s0 < previous0 && s1 < previous1 && max(s0, s1) < total - 30 { return total }
            (previous0, previous1) = (s0, s1)
        }
        return .infinity
    }

    /// Terms of the fractional series before an order is given up.
    static let maximumTerms = 1000

    /// log|C(n, k)| for real n and k, from the log-gamma function. For a fractional n the
    /// coefficients alternate in sign past k = n; the series adds their magnitudes, which
    /// bounds A_α from above (a conservative ε), as dp-accounting does.
    static func logBinomial(_ n: Double, _ k: Double) -> Double {
        lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
    }

    /// log(e^a + e^b), without overflow.
    static func logAdd(_ a: Double, _ b: Double) -> Double {
        let (low, high) = (min(a, b), max(a, b))
        if low == -.infinity { return high }
        return log1p(exp(low - high)) + high
    }

    /// log(erfc(x)), accurate where erfc underflows (its asymptotic series past x = 25).
    static func logErfc(_ x: Double) -> Double {
        if x < 25 { return log(erfc(x)) }
        let inverse = 1 / (x * x)
        return -log(Double.pi) / 2 - log(x) - x * x
            + inverse * (-0.5 + inverse * (0.625 + inverse * (-37.0 / 24 + inverse * 353.0 / 64)))
    }
}
