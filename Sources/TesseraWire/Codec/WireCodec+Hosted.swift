import Foundation

// Messages from or for clients a process hosts (docs/PROTOCOL.md, "Many clients in one
// process"): header flag 1 puts one client's id before the body; flag 2, only from a scheduler,
// a list of the clients one message is for (a task sent once to a process for all of its
// clients sampled).

extension WireCodec {
    /// The header flag of a message from or for a hosted client: its id comes before the body.
    public static let hostedClientFlag: UInt16 = 1
    /// The header flag of a message for several clients of one process: a list of their ids
    /// comes before the body.
    public static let hostedClientsFlag: UInt16 = 2
    /// The longest hosted client id, in bytes.
    public static let maximumClientIDBytes = 256
    /// The most clients one message may be for.
    public static let maximumRecipients = 10_000

    /// The header flags `envelope` is sent with.
    static func flags(of envelope: Envelope) -> UInt16 {
        !envelope.recipients.isEmpty ? hostedClientsFlag : envelope.client != nil ? hostedClientFlag : 0
    }

    /// Throws unless `flags` is one version 1 defines.
    static func check(flags: UInt16) throws {
        guard flags == 0 || flags == hostedClientFlag || flags == hostedClientsFlag else {
            throw WireError(.malformed, "flags at offset 6 are \(flags); version 1 defines only 1 (a hosted client) and 2 (several hosted clients)")
        }
    }

    /// Writes the client id or the list of them that goes before `envelope`'s body.
    static func writeAddress(of envelope: Envelope, into body: inout ByteWriter) {
        if !envelope.recipients.isEmpty {
            body.u32(UInt32(envelope.recipients.count))
            for recipient in envelope.recipients { body.string(recipient) }
        } else if let client = envelope.client {
            body.string(client)
        }
    }

    /// The client id, or the list of them, before a body with header `flags`.
    static func readAddress(flags: UInt16, from reader: inout ByteReader) throws -> (client: String?, recipients: [String]) {
        switch flags {
        case hostedClientFlag:
            return (try clientID(from: &reader), [])
        case hostedClientsFlag:
            let start = reader.offset
            let count = Int(try reader.u32("hosted client count"))
            guard (1...maximumRecipients).contains(count), count * 5 <= reader.remaining else {
                throw WireError(.malformed, "hosted client count at offset \(start) is \(count); it must be 1 to \(maximumRecipients), within the header")
            }
            return (nil, try (0..<count).map { _ in try clientID(from: &reader) })
        default:
            return (nil, [])
        }
    }

    /// A hosted client's id: a string of 1 to ``maximumClientIDBytes`` bytes.
    static func clientID(from reader: inout ByteReader) throws -> String {
        let start = reader.offset
        let id = try reader.string("hosted client id")
        guard !id.isEmpty, id.utf8.count <= maximumClientIDBytes else {
            throw WireError(.malformed, "hosted client id at offset \(start) is \(id.utf8.count) bytes; it must be 1 to \(maximumClientIDBytes)")
        }
        return id
    }

    /// The frames of one encoded message, sent instead from or for hosted client `client`: the
    /// header's flag set and the client's id in front of the body (replacing the address already
    /// there); the payload frames as they are, so a task broadcast to many clients is encoded
    /// once.
    ///
    /// - Throws: ``WireError`` for frames that are not an encoded message, or an id out of bounds.
    public func addressing(_ frames: [Data], to client: String) throws -> [Data] {
        try readdressing(frames, as: Envelope(id: 0, message: .heartbeat, client: client))
    }

    /// The frames of one encoded message, sent instead to hosted `clients` of one process (header
    /// flag 2), the payload frames as they are.
    ///
    /// - Throws: ``WireError`` for frames that are not an encoded message, no clients or more than
    ///   ``maximumRecipients``, or an id out of bounds.
    public func addressing(_ frames: [Data], toClients clients: [String]) throws -> [Data] {
        guard (1...Self.maximumRecipients).contains(clients.count) else {
            throw WireError(.limitExceeded, "a message for \(clients.count) hosted clients; it must be for 1 to \(Self.maximumRecipients)")
        }
        var envelope = Envelope(id: 0, message: .heartbeat)
        envelope.recipients = clients
        return try readdressing(frames, as: envelope)
    }

    /// `frames` with the header's flags and address replaced by those of `address` (an
    /// envelope standing for its client or recipients only).
    private func readdressing(_ frames: [Data], as address: Envelope) throws -> [Data] {
        guard let header = frames.first, header.count >= Self.prefixBytes else {
            throw WireError(.frameMismatch, "no header frame to address")
        }
        for id in address.recipients + (address.client.map { [$0] } ?? []) where id.isEmpty || id.utf8.count > Self.maximumClientIDBytes {
            throw WireError(.limitExceeded, "hosted client id of \(id.utf8.count) bytes; it must be 1 to \(Self.maximumClientIDBytes)")
        }
        let bytes = [UInt8](header)
        let flags = UInt16(bytes[6]) | UInt16(bytes[7]) << 8
        try Self.check(flags: flags)
        var reader = ByteReader(bytes, offset: Self.prefixBytes, limits: limits)
        _ = try Self.readAddress(flags: flags, from: &reader)
        let body = bytes[reader.offset...]
        var rewritten = ByteWriter()
        for byte in bytes[0..<6] { rewritten.u8(byte) }
        rewritten.u16(Self.flags(of: address))
        for byte in bytes[8..<24] { rewritten.u8(byte) }
        var prefix = ByteWriter()
        Self.writeAddress(of: address, into: &prefix)
        rewritten.u32(UInt32(prefix.bytes.count + body.count))
        var result = [Data(rewritten.bytes + prefix.bytes + body)]
        result += frames.dropFirst()
        let total = result.reduce(0) { $0 + $1.count }
        guard total <= limits.maximumMessageBytes else {
            throw WireError(.limitExceeded, "message of \(total) bytes exceeds the limit of \(limits.maximumMessageBytes)")
        }
        return result
    }
}
