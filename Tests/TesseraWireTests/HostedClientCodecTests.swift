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
}
