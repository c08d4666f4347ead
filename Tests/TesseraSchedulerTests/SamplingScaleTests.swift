import Synchronization
import Testing
@testable import TesseraScheduler
import TesseraTensor

/// Sampling a round from a large population reads about as many candidates as it chooses, and
/// the active workers are found by rank without listing them.
@Suite("Sampling at scale")
struct SamplingScaleTests {
    @Test func choosingAHundredOfAMillionReadsAboutAHundred() {
        let reads = Atomic<Int>(0)
        let candidates = SamplingCandidates(count: 1_000_000) { rank in
            reads.add(1, ordering: .relaxed)
            return SamplingCandidate(workerID: "c\(rank)", samples: 1)
        }
        var sampler = UniformSampler()
        var generator = SeededGenerator(seed: 3)
        let chosen = sampler.sample(candidates, round: 1, count: 100, using: &generator)
        #expect(Set(chosen).count == 100 && reads.load(ordering: .relaxed) == 100)
    }

    @Test func theUniformSamplerIsUniformAndTakesEveryoneWhenAskedForMore() {
        let candidates = SamplingCandidates((0..<20).map { SamplingCandidate(workerID: "w\($0)", samples: 1) })
        var sampler = UniformSampler()
        var generator = SeededGenerator(seed: 5)
        var counts: [String: Int] = [:]
        for round in 0..<4_000 {
            for id in sampler.sample(candidates, round: round, count: 5, using: &generator) { counts[id, default: 0] += 1 }
        }
        // 1,000 expected each; 5 standard deviations (~27 each) either way.
        #expect(counts.count == 20 && counts.values.allSatisfy { (865...1_135).contains($0) }, "\(counts)")
        #expect(Set(sampler.sample(candidates, round: 0, count: 50, using: &generator)).count == 20)
    }

    @Test func theActiveIndexFindsTheActiveByRankInIdOrder() {
        var index = ActiveIndex()
        var ids: [String] = []
        for id in (0..<1_000).shuffled() {
            ids.append(String(format: "w%04d", id))
            index.add()
        }
        let slot = { (id: String) in ids.firstIndex(of: id)! }
        // Some set active before the slots are sorted in, some after.
        for id in stride(from: 0, to: 500, by: 3) { index.set(slot(String(format: "w%04d", id)), active: true) }
        index.settle(ids: ids)
        for id in stride(from: 501, to: 1_000, by: 3) { index.set(slot(String(format: "w%04d", id)), active: true) }
        index.set(slot("w0003"), active: false)
        index.set(slot("w0003"), active: false)
        index.set(5_000, active: true)
        let expected = stride(from: 0, to: 1_000, by: 3).filter { $0 != 3 }.map { String(format: "w%04d", $0) }
        #expect(index.count == expected.count && (0..<index.count).map { ids[index.active(at: $0)] } == expected)
        // A slot added later is merged in; the active stay active.
        ids.append("w0001a")
        index.add()
        index.set(ids.count - 1, active: true)
        index.settle(ids: ids)
        #expect(ids[index.active(at: 1)] == "w0001a" && index.count == expected.count + 1)
        #expect(index.slotsInOrder.map { ids[Int($0)] } == ids.sorted())
    }
}

/// A welcome's configuration text, encoded once and joined around each client's index, is the
/// text the configuration encodes to.
@Suite("Welcome text")
struct WelcomeTextTests {
    @Test func theJoinedTextIsTheEncodedOne() throws {
        var settings = RunSettings()
        settings.workers = 20_000
        settings.partition = .powerLaw
        let texts = WelcomeText(settings)
        #expect(texts.isJoined)
        for index in [0, 7, 19_999] {
            #expect(try texts.text(forClient: index) == settings.clientConfiguration(index: index).json())
        }
    }
}
