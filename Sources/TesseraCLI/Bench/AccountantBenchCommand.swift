import ArgumentParser
import Foundation
import TesseraScheduler

/// `tessera bench accountant`: what reporting ε costs a round with each accountant, and what
/// each reports: the time to compute ε after a number of rounds (the scheduler computes it
/// after every round), RDP and PLD side by side.
struct AccountantBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accountant",
        abstract: "ε after N rounds by the RDP and the PLD accountant, and the seconds each takes (medians).")

    @Option(help: "Sampling rates (training.fraction), comma-separated.")
    var fractions = "0.01,0.1,1"

    @Option(help: "Noise multipliers, comma-separated.")
    var noise = "1"

    @Option(help: "Round counts, comma-separated.")
    var rounds = "10,100,1000"

    @Option(help: "The δ ε is computed at.")
    var delta = 1e-5

    @Option(help: "Timed repetitions; the median is reported.")
    var reps = 3

    func validate() throws {
        guard reps >= 1, delta > 0, delta < 1 else { throw ValidationError("--reps must be at least 1 and --delta in (0, 1)") }
        guard parsed(fractions).allSatisfy({ $0 > 0 && $0 <= 1 }), parsed(noise).allSatisfy({ $0 > 0 }),
              parsed(rounds).allSatisfy({ $0 >= 1 && $0 == $0.rounded() }), !parsed(fractions).isEmpty, !parsed(noise).isEmpty, !parsed(rounds).isEmpty else {
            throw ValidationError("--fractions take numbers in (0, 1], --noise positive numbers, --rounds whole numbers ≥ 1, each comma-separated")
        }
    }

    func run() throws {
        print("fraction  noise  rounds   ε RDP     ε PLD     RDP ms    PLD ms")
        for fraction in parsed(fractions) {
            for multiplier in parsed(noise) {
                for count in parsed(rounds).map({ Int($0) }) {
                    var accountant = PrivacyAccountant()
                    accountant.compose(samplingRate: fraction, noiseMultiplier: multiplier, rounds: count)
                    var (rdp, pld) = (0.0, 0.0)
                    let rdpTime = median { rdp = accountant.epsilon(delta: delta).epsilon }
                    let pldTime = median { pld = accountant.lossDistributionEpsilon(delta: delta) ?? .nan }
                    print(String(format: "%8g  %5g  %6d  %7.3f  %8.3f  %9.3f  %8.1f", fraction, multiplier, count, rdp, pld, rdpTime * 1000, pldTime * 1000))
                }
            }
        }
    }

    private func parsed(_ list: String) -> [Double] {
        list.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) ?? .nan }
    }

    private func median(_ body: () -> Void) -> Double {
        var times: [Double] = []
        for _ in 0..<reps {
            let start = Date()
            body()
            times.append(Date().timeIntervalSince(start))
        }
        return times.sorted()[times.count / 2]
    }
}
