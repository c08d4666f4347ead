import Foundation
import Testing
import TesseraTensor
import TesseraTestSupport
@testable import TesseraWire

/// Header flag 1: a message from or for one of the clients a process hosts carries the client's
/// id before its body; a message encoded once can be addressed to any client without touching
/// its payload frames.
@Suite("Hosted client messages")
struct HostedClientCodecTests {
    static let codec = WireCodec()

    @Test("every message round-trips addressed to a client", arguments: WireCorpus.messages)
    func roundTrip(message: Message) throws {
        let envelope = Envelope(id: 7, replyTo: 3, message: message, client: "host-1/0042")
        #expect(try Self.codec.decode(Self.codec.encode(envelope)) == envelope)
    }

    @Test func addressingAnEncodedMessageIsEncodingItForTheClient() throws {
        let task = Message.trainTask(TrainTask(round: 2, modelVersion: 1, hyperparameters: "{}",
                                               weights: [NamedTensor(name: "w", tensor: try Tensor.uniform([1 << 15], low: -1, high: 1, seed: 1))]))
        let plain = try Self.codec.encode(Envelope(id: 5, message: task))
        let addressed = try Self.codec.addressing(plain, to: "h/1")
        #expect(addressed == (try Self.codec.encode(Envelope(id: 5, message: task, client: "h/1"))))
        // The payload frame is the same bytes; a second address replaces the first.
        #expect(addressed[1] == plain[1])
        #expect(try Self.codec.decode(Self.codec.addressing(addressed, to: "h/22")).client == "h/22")
        #expect(try Self.codec.decode(plain).client == nil)
    }

    @Test func otherFlagsAndBadClientIDsAreRefused() throws {
        var frames = try Self.codec.encode(Envelope(id: 9, message: .heartbeat, client: "h/1"))
        var header = [UInt8](frames[0])
        header[6] = 3
        frames[0] = Data(header)
        let flags = try #require(throws: WireError.self) { try Self.codec.decode(frames) }
        #expect(flags.kind == .malformed && flags.messageID == 9)
        // An empty id, and one longer than 256 bytes.
        #expect(throws: WireError.self) { try Self.codec.decode(Self.codec.encode(Envelope(id: 1, message: .heartbeat, client: ""))) }
        #expect(throws: WireError.self) { try Self.codec.addressing(frames, to: String(repeating: "x", count: 257)) }
        // The flag with no id after the prefix.
        var bare = [UInt8](try Self.codec.encode(Envelope(id: 2, message: .heartbeat))[0])
        bare[6] = 1
        #expect(throws: WireError.self) { try Self.codec.decode([Data(bare)]) }
    }

    /// Header flag 2: one message for several clients of a process, their ids before the body.
    @Test func aMessageForSeveralClientsCarriesTheirIdsAndTheSamePayload() throws {
        let task = Message.trainTask(TrainTask(round: 3, modelVersion: 2, hyperparameters: "{}",
                                               weights: [NamedTensor(name: "w", tensor: try Tensor.uniform([1 << 15], low: -1, high: 1, seed: 2))]))
        let plain = try Self.codec.encode(Envelope(id: 8, message: task))
        let together = try Self.codec.addressing(plain, toClients: ["h/0", "h/7", "h/12"])
        let decoded = try Self.codec.decode(together)
        #expect(decoded.recipients == ["h/0", "h/7", "h/12"] && decoded.client == nil && decoded.message == task && decoded.id == 8)
        #expect(together[1] == plain[1])
        var envelope = Envelope(id: 8, message: task)
        envelope.recipients = ["h/0", "h/7", "h/12"]
        #expect(together == (try Self.codec.encode(envelope)))
        // Addressed again, to one client: the list goes, that client's id takes its place.
        let one = try Self.codec.decode(Self.codec.addressing(together, to: "h/7"))
        #expect(one.client == "h/7" && one.recipients.isEmpty && one.message == task)
    }

    @Test func aBadListOfClientsIsRefused() throws {
        let plain = try Self.codec.encode(Envelope(id: 4, message: .heartbeat))
        #expect(throws: WireError.self) { try Self.codec.addressing(plain, toClients: []) }
        #expect(throws: WireError.self) { try Self.codec.addressing(plain, toClients: ["h/0", ""]) }
        #expect(throws: WireError.self) { try Self.codec.addressing(plain, toClients: Array(repeating: "h/0", count: WireCodec.maximumRecipients + 1)) }
        // A count of zero, and a count larger than the header holds.
        for count: UInt32 in [0, 1_000] {
            var header = [UInt8](plain[0].prefix(WireCodec.prefixBytes))
            header[6] = 2
            let body = withUnsafeBytes(of: count.littleEndian, Array.init) + [5, 0, 0, 0] + Array("h/001".utf8)
            header.replaceSubrange(24..<28, with: withUnsafeBytes(of: UInt32(body.count).littleEndian, Array.init))
            let refused = try #require(throws: WireError.self) { try Self.codec.decode([Data(header + body)]) }
            #expect(refused.kind == .malformed && refused.messageID == 4, "\(refused)")
        }
    }
}
