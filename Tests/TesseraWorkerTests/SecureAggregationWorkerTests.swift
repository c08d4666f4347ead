import Foundation
import TesseraTestSupport
import Testing
import TesseraNN
import TesseraSecureAggregation
import TesseraTensor
import TesseraTransport
import TesseraWire

/// A worker process taking part in a secure aggregation round driven by the test (the
/// scheduler's side, with a second participant played in memory): it answers its train task
/// with keys, not its update, then each step in turn; the unmasked sum holds its update times
/// its sample count, exactly as it would have sent it in the clear.
@Suite("Secure aggregation on a worker", .serialized)
struct SecureAggregationWorkerTests {
    @Test func aWorkerMasksItsUpdateAndTheSumUnmasksIt() throws {
        let socket = try Transport.zeroMQ.bind("tcp://127.0.0.1:0")
        defer { socket.close() }
        let worker = try ProcessHarness(["worker", "--connect", socket.address, "--id", "w", "--data", "synthetic", "--no-trace"])
        var nextID: UInt64 = 100
        func next(answering id: UInt64? = nil, _ timeout: Double = 60) throws -> Envelope {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                guard let received = try socket.receive(timeout: 1) else { continue }
                let envelope = try received.envelope.get()
                if case .heartbeat = envelope.message { continue }
                if id == nil || envelope.replyTo == id { return envelope }
            }
            throw HarnessError(description: "no answer to \(id ?? 0) within \(timeout) s")
        }
        func request(_ message: Message) throws -> Message {
            nextID += 1
            try socket.send(Envelope(id: nextID, message: message), to: PeerID("w"))
            return try next(answering: nextID).message
        }
        guard case .register = try next().message else { Issue.record("no registration"); return }
        let configuration = ClientConfiguration(model: .logisticRegression, data: "synthetic", clients: 2, clientIndex: 0, seed: 1)
        #expect(try request(.welcome(runID: "secure", configuration: configuration.json())) == .done(objectCount: 0, byteCount: 0))

        let global = try Model(spec: .logisticRegression, seed: 1).parameters
        func task(threshold: Int) throws -> Message {
            let hyperparameters = Hyperparameters(epochs: 1, batchSize: 32, learningRate: 0.05, secureThreshold: threshold)
            return .trainTask(TrainTask(round: 1, modelVersion: 0, hyperparameters: String(decoding: try JSONEncoder().encode(hyperparameters), as: UTF8.self),
                                        parameters: global))
        }
        func step(_ message: Message) throws -> SecureAggregationStep {
            guard case let .secureAggregation(step) = message else { throw HarnessError(description: "expected a secure aggregation step, got \(message.kindName)") }
            return step
        }
        let length = global.scalarCount
        var server = SecureAggregationServer(round: 1, threshold: 2, length: length)
        var played = SecureAggregationClient(id: "p", round: 1, threshold: 2)
        let playedInput = (0..<length).map { UInt64($0) * 3 }

        let keys = try step(try request(try task(threshold: 2)))
        #expect(keys.kind == .keys)
        try server.collect(try JSONDecoder().decode(KeyAdvertisement.self, from: Data(keys.body.utf8)))
        try server.collect(played.advertise())
        let roster = try server.roster()
        let shares = try step(try request(.secureAggregation(SecureAggregationStep(round: 1, kind: .roster,
                                                                                   body: String(decoding: try JSONEncoder().encode(roster), as: UTF8.self)))))
        try server.collect(shares: try JSONDecoder().decode([EncryptedShare].self, from: Data(shares.body.utf8)), from: "w")
        try server.collect(shares: try played.shareKeys(roster: roster), from: "p")
        // A step out of turn is refused, and the worker goes on.
        guard case .error = try request(.secureAggregation(SecureAggregationStep(round: 1, kind: .survivors, body: "[\"w\",\"p\"]"))) else {
            Issue.record("a step out of turn was taken"); return
        }
        let relayed = String(decoding: try JSONEncoder().encode(server.shares(for: "w")), as: UTF8.self)
        let masked = try step(try request(.secureAggregation(SecureAggregationStep(round: 1, kind: .relayedShares, body: relayed))))
        #expect(masked.kind == .maskedInput && masked.vector.count == length)
        // Its weight, in the clear beside the input: the samples it trained on.
        let note = try JSONDecoder().decode(MaskedInputNote.self, from: Data(masked.body.utf8))
        #expect(note.weight > 0 && note.maskedWith == ["p"])
        try played.receive(server.shares(for: "p"))
        try server.collect(masked: masked.vector, from: "w")
        try server.collect(masked: try played.mask(playedInput), from: "p")
        let survivors = String(decoding: try JSONEncoder().encode(try server.survivors()), as: UTF8.self)
        let unmasking = try step(try request(.secureAggregation(SecureAggregationStep(round: 1, kind: .survivors, body: survivors))))
        try server.collect(try JSONDecoder().decode(UnmaskingShares.self, from: Data(unmasking.body.utf8)))
        try server.collect(try played.unmask(survivors: try server.survivors()))
        let sum = try server.sum()

        // The same task in the clear gives the same update (training is seeded by round and client).
        guard case let .update(plain) = try request(try task(threshold: 0)) else { Issue.record("no plain update"); return }
        let encoding = FixedPoint()
        let expected = try encoding.encode(plain.weights.flatMap(\.tensor.scalars), times: Double(plain.sampleCount))
        #expect(sum == zip(expected, playedInput).map { $0 &+ $1 })
        #expect(worker.stop() == 0)
    }
}
