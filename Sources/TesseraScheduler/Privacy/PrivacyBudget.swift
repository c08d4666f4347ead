import Foundation

/// What a private run has spent, and the one place it is charged: the RDP of every round
/// released (central, at the run's sampling rate and noise multiplier), and with local noise
/// what one worker's own updates reveal. It travels in the run's checkpoints as the spent RDP
/// itself, so a resumed run composes onto what was spent, whatever its settings are now (a run
/// resumed with another noise multiplier no longer re-prices its past rounds).
///
/// Local DP protects any two inputs of one worker: the change it sends, clipped to C, moves by
/// up to 2C between them, so the local mechanism's noise of `local_noise` × C is a Gaussian
/// mechanism of multiplier `local_noise` / 2.
public struct PrivacyBudget: Sendable, Equatable {
    /// The central accountant: every round released, sampled at `training.fraction`.
    public private(set) var central = PrivacyAccountant()
    /// The local accountant (nil without local noise): one worker's updates, had it taken part
    /// in every round.
    public private(set) var local: PrivacyAccountant?
    /// Secure aggregation's accountant against the scheduler itself (nil without secure
    /// aggregation): it draws the sample and sees who took part, so a participant has the
    /// noise's protection only, as with a sampling rate of 1.
    public private(set) var againstScheduler: PrivacyAccountant?
    /// Rounds released so far.
    public private(set) var rounds = 0
    /// How ε is computed from what was spent (`privacy.accountant`).
    public let method: RunSettings.Accountant

    /// Nothing spent yet; local accounting when the run adds local noise.
    public init(settings: RunSettings) {
        local = settings.localNoise > 0 ? PrivacyAccountant() : nil
        againstScheduler = settings.secureAggregation ? PrivacyAccountant() : nil
        method = settings.accountant
    }

    /// Charges one released round at `settings`' sampling rate and noise.
    public mutating func charge(_ settings: RunSettings) {
        central.compose(samplingRate: settings.fraction, noiseMultiplier: settings.noiseMultiplier)
        local?.compose(samplingRate: 1, noiseMultiplier: settings.localNoise / 2)
        againstScheduler?.compose(samplingRate: 1, noiseMultiplier: settings.noiseMultiplier)
        rounds += 1
    }

    /// ε at `delta` of the rounds released so far, by ``method``.
    public func epsilon(delta: Double) -> Double {
        epsilon(of: central, delta: delta)
    }

    /// RDP's ε at `delta` of the rounds released so far, shown beside the PLD's under
    /// `privacy.accountant: both` (nil otherwise).
    public func rdpEpsilon(delta: Double) -> Double? {
        method == .both ? central.epsilon(delta: delta).epsilon : nil
    }

    /// Local ε at `delta` (nil without local noise).
    public func localEpsilon(delta: Double) -> Double? {
        local.map { epsilon(of: $0, delta: delta) }
    }

    /// ε at `delta` against the scheduler itself (nil without secure aggregation).
    public func epsilonAgainstScheduler(delta: Double) -> Double? {
        againstScheduler.map { epsilon(of: $0, delta: delta) }
    }

    /// One accountant's ε by ``method``; a restored record without its rounds is refused
    /// before it gets here, and would be priced by RDP.
    private func epsilon(of accountant: PrivacyAccountant, delta: Double) -> Double {
        method == .rdp ? accountant.epsilon(delta: delta).epsilon
            : accountant.lossDistributionEpsilon(delta: delta) ?? accountant.epsilon(delta: delta).epsilon
    }

    /// The checkpoint's record of it.
    public var metadata: [String: String] {
        var fields = ["private_rounds": String(rounds), "privacy_rdp": central.snapshot]
        if let local { fields["local_rdp"] = local.snapshot }
        if let againstScheduler { fields["scheduler_rdp"] = againstScheduler.snapshot }
        return fields
    }

    /// The budget a checkpoint recorded, for a run resumed with `settings`.
    ///
    /// - Throws: ``SchedulerError/badCheckpoint(path:reason:)`` when the checkpoint's privacy
    ///   and the run's do not go together: a private checkpoint resumed without privacy (its
    ///   releases would go on uncounted), one without its spent RDP (written by an older
    ///   Tessera, or by a run without privacy), or local noise added or dropped.
    public init(restoring metadata: [String: String], settings: RunSettings, path: String) throws {
        let recorded = metadata["private_rounds"] != nil
        guard recorded == settings.isPrivate else {
            throw SchedulerError.badCheckpoint(path: path, reason: recorded
                ? "it was written by a differentially private run; resume it with its privacy settings (privacy.clip), or its releases would go on uncounted"
                : "it was written by a run without differential privacy; its privacy cost is unknown")
        }
        self.init(settings: settings)
        guard settings.isPrivate else { return }
        guard let rounds = metadata["private_rounds"].flatMap(Int.init), let central = metadata["privacy_rdp"].flatMap(PrivacyAccountant.init(snapshot:)) else {
            throw SchedulerError.badCheckpoint(path: path, reason: "it does not record the privacy its rounds spent (written by an older Tessera); start a new run")
        }
        guard (metadata["local_rdp"] != nil) == (settings.localNoise > 0) else {
            throw SchedulerError.badCheckpoint(path: path, reason: "its rounds were run \(settings.localNoise > 0 ? "without" : "with") local noise; resume it with privacy.local_noise as it was")
        }
        guard settings.accountant == .rdp || central.history != nil else {
            throw SchedulerError.badCheckpoint(path: path, reason: "its privacy record does not list its rounds' settings (written by an older Tessera), which privacy.accountant: \(settings.accountant.rawValue) needs; resume it with privacy.accountant: rdp")
        }
        self.rounds = rounds
        self.central = central
        // Rounds run before this record existed, or without secure aggregation, are counted as
        // if the scheduler saw their participants: at the rate-1 price of the run's rounds so far.
        if settings.secureAggregation {
            if let recorded = metadata["scheduler_rdp"].flatMap(PrivacyAccountant.init(snapshot:)) {
                againstScheduler = recorded
            } else {
                var priced = PrivacyAccountant(orders: central.orders)
                priced.compose(samplingRate: 1, noiseMultiplier: settings.noiseMultiplier, rounds: rounds)
                againstScheduler = priced
            }
        }
        if settings.localNoise > 0 {
            guard let local = metadata["local_rdp"].flatMap(PrivacyAccountant.init(snapshot:)) else {
                throw SchedulerError.badCheckpoint(path: path, reason: "its local privacy record cannot be read")
            }
            self.local = local
        }
    }
}
