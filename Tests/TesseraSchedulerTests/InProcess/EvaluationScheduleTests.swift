import Foundation
import Testing
@testable import TesseraScheduler
import TesseraTransport
import TesseraWire

/// `training.evaluate_every` in synchronous rounds, played in-process with a manual clock: the
/// rounds between evaluations close as soon as their model is made, each still recorded and
/// checkpointed; the last round is always evaluated, and so is one after which the time is up.
@Suite("Evaluation schedule")
struct EvaluationScheduleTests {
    @Test func roundsBetweenEvaluationsCloseWithoutOne() throws {
        var configuration = InProcessFederation.configuration(workers: 2, rounds: 5)
        configuration.evaluateEvery = 2
        let federation = try InProcessFederation(configuration)
        federation.holdsEvaluations = true
        let workers = try federation.join(["a", "b"])
        try federation.answerRound(of: workers)
        // Round 1 is reported at once, without an evaluation, and round 2's tasks are out.
        #expect(federation.heldEvaluations == 0)
        let first = try #require(federation.rounds.first)
        #expect(first.round == 1 && first.received == 2 && first.aggregated)
        #expect(first.accuracy == nil && first.loss == nil && first.evaluationSeconds == nil)
        try federation.answerRound(of: workers)
        // Round 2 waits for its evaluation.
        #expect(federation.heldEvaluations == 1 && federation.rounds.count == 1)
        try federation.answerHeldEvaluations()
        for _ in 3...4 {
            try federation.answerRound(of: workers)
            try federation.answerHeldEvaluations()
        }
        // Round 5, the last, is evaluated although 5 is not a multiple of 2.
        try federation.answerRound(of: workers)
        #expect(federation.heldEvaluations == 1 && !federation.finished)
        try federation.answerHeldEvaluations()
        #expect(federation.finished)
        #expect(federation.rounds.map(\.round) == [1, 2, 3, 4, 5])
        #expect(federation.rounds.map { $0.accuracy != nil } == [false, true, false, true, true])
        // Every round, evaluated or not, moved the model and left a checkpoint of it.
        #expect(federation.checkpoints.map { $0.metadata["round"] } == ["1", "2", "3", "4", "5"])
        #expect(federation.rounds.lastAccuracy == federation.rounds[4].accuracy)
    }

    @Test func theRoundAfterWhichTimeIsUpIsEvaluated() throws {
        var configuration = InProcessFederation.configuration(workers: 2, rounds: 10)
        configuration.evaluateEvery = 5
        configuration.maxSeconds = 10
        let federation = try InProcessFederation(configuration)
        let workers = try federation.join(["a", "b"])
        try federation.answerRound(of: workers)
        #expect(federation.rounds.count == 1 && federation.rounds[0].accuracy == nil && !federation.finished)
        try federation.advance(11)
        try federation.answerRound(of: workers)
        // Round 2 closed after the 10 s: it is evaluated, and the run ends with it.
        #expect(federation.finished)
        #expect(federation.rounds.map { $0.accuracy != nil } == [false, true])
    }

    /// A round not evaluated is written without accuracy, loss or evaluation seconds (not as
    /// nulls, which mean a number that was not finite).
    @Test func aRoundNotEvaluatedIsWrittenWithoutItsEvaluation() throws {
        let result = RoundResult(round: 3, sampled: 10, received: 9, late: 1, aggregated: true, accuracy: nil, loss: nil,
                                 seconds: 0.5, evaluationSeconds: nil)
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as? [String: Any])
        #expect(object["accuracy"] == nil && object["loss"] == nil && object["evaluationSeconds"] == nil)
        #expect(object["nonFinite"] == nil && object["seconds"] as? Double == 0.5 && object["received"] as? Int == 9)
    }
}
