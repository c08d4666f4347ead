import Foundation
import TesseraTensor

/// Turns envelopes into ZeroMQ frames and back: a header frame (fixed 28-byte prefix, then the
/// message body) followed by one frame of raw little-endian float32 data per tensor, in the
/// order the body mentions them. Pure code, no I/O; byte layout in `docs/PROTOCOL.md`.
public struct WireCodec: Sendable {
    /// "TSRA", the first four bytes of every header frame.
    public static let magic: [UInt8] = [0x54, 0x53, 0x52, 0x41]
    /// The protocol version this codec speaks.
    public static let version: UInt8 = 1
    /// Bytes of the fixed header prefix.
    public static let prefixBytes = 28

    /// What the decoder accepts (and the encoder refuses to exceed).
    public var limits: WireLimits

    /// A codec enforcing `limits`.
    public init(limits: WireLimits = WireLimits()) {
        self.limits = limits
    }

    /// The frames of `envelope`.
    ///
    /// - Throws: ``WireError`` (`.limitExceeded`) when a tensor or the whole message exceeds the
    ///   limits, which the receiving side would reject.
    public func encode(_ envelope: Envelope) throws -> [Data] {
        var body = ByteWriter()
        var payloads: [Data] = []
        Self.writeAddress(of: envelope, into: &body)
        try encodeBody(envelope.message, into: &body, payloads: &payloads)
        var header = ByteWriter()
        for byte in Self.magic { header.u8(byte) }
        header.u8(Self.version)
        header.u8(envelope.message.type.rawValue)
        header.u16(Self.flags(of: envelope))
        header.u64(envelope.id)
        header.u64(envelope.replyTo)
        header.u32(UInt32(body.bytes.count))
        var frames = [Data(header.bytes + body.bytes)]
        frames += payloads
        let total = frames.reduce(0) { $0 + $1.count }
        guard total <= limits.maximumMessageBytes else {
            throw WireError(.limitExceeded, "message of \(total) bytes exceeds the limit of \(limits.maximumMessageBytes)")
        }
        return frames
    }

    /// The envelope carried by `frames`.
    ///
    /// - Throws: ``WireError`` for anything malformed: truncation, wrong magic or version,
    ///   unknown type or op, bad lengths, payload sizes that disagree with shapes, limits.
    public func decode(_ frames: [Data]) throws -> Envelope {
        guard let headerFrame = frames.first else { throw WireError(.frameMismatch, "a message needs at least a header frame") }
        let total = frames.reduce(0) { $0 + $1.count }
        guard total <= limits.maximumMessageBytes else {
            throw WireError(.limitExceeded, "message of \(total) bytes exceeds the limit of \(limits.maximumMessageBytes)")
        }
        guard frames.count - 1 <= limits.maximumTensors else {
            throw WireError(.limitExceeded, "\(frames.count - 1) payload frames exceed the limit of \(limits.maximumTensors) tensors")
        }
        var reader = ByteReader(headerFrame.withUnsafeBytes { [UInt8]($0) }, limits: limits)
        let magic = [try reader.u8("magic"), try reader.u8("magic"), try reader.u8("magic"), try reader.u8("magic")]
        guard magic == Self.magic else {
            throw WireError(.badMagic, "header starts with \(magic.map { String(format: "%02x", $0) }.joined()), not 54535241 (\"TSRA\")")
        }
        let version = try reader.u8("version")
        guard version == Self.version else {
            throw WireError(.unsupportedVersion, "protocol version \(version); this build speaks \(Self.version)")
        }
        // A header with its id (bytes 8-15) present: errors carry the id, so the reply answers it.
        let knownID: UInt64? = headerFrame.count >= 16
            ? (0..<8).reduce(UInt64(0)) { $0 | UInt64(headerFrame[headerFrame.startIndex + 8 + $1]) << (8 * $1) } : nil
        do {
            let typeCode = try reader.u8("message type")
            guard let type = MessageType(rawValue: typeCode) else {
                throw WireError(.unknownMessageType, "message type \(typeCode) at offset 5 is not known")
            }
            let flags = try reader.u16("flags")
            try Self.check(flags: flags)
            let id = try reader.u64("message id")
            let replyTo = try reader.u64("reply-to id")
            let bodyLength = Int(try reader.u32("body length"))
            guard bodyLength == reader.remaining else {
                throw WireError(.truncated, "body length says \(bodyLength) bytes but the header frame has \(reader.remaining) after the prefix")
            }
            let (client, recipients) = try Self.readAddress(flags: flags, from: &reader)
            var payloads = PayloadFrames(frames: frames, limits: limits)
            let message = try decodeBody(type, from: &reader, payloads: &payloads)
            guard reader.remaining == 0 else {
                throw WireError(.malformed, "\(reader.remaining) unread bytes after the \(type) body at offset \(reader.offset)")
            }
            guard payloads.next == frames.count else {
                throw WireError(.frameMismatch, "\(frames.count - 1) payload frames but the body names \(payloads.next - 1) tensors")
            }
            var envelope = Envelope(id: id, replyTo: replyTo, message: message, client: client)
            envelope.recipients = recipients
            return envelope
        } catch var error as WireError {
            error.messageID = knownID
            throw error
        } catch {
            // Every decoding failure is a WireError, whatever layer below refused the bytes (a
            // tensor's own shape rule, say): callers answer WireErrors and go on.
            throw WireError(.malformed, "the message cannot be decoded: \(error)", messageID: knownID)
        }
    }

    /// Payloads from this size on are not copied: the frame borrows the tensor's storage.
    static let borrowedPayloadBytes = 1 << 16

    /// The payload frame of ring elements: little-endian u64s.
    static func payload(ofRing values: [UInt64]) -> Data {
        #if _endian(big)
        let values = values.map { $0.littleEndian }
        #endif
        return values.withUnsafeBytes { Data($0) }
    }

    /// Whether `tensor` goes out as bfloat16 (dtype 3): when it holds its values so
    /// (``/TesseraTensor/Tensor/isBFloat16``); on a big-endian machine never (it goes out
    /// widened, as float32).
    static func carriesBFloat16(_ tensor: Tensor) -> Bool {
        #if _endian(little)
        return tensor.isBFloat16
        #else
        return false
        #endif
    }

    /// Raw little-endian bytes of `tensor`: float32, or bfloat16 when ``carriesBFloat16(_:)``.
    /// A large payload borrows the tensor's storage instead of copying it (16 MiB is 1.4 ms of
    /// memcpy on the sender): the frame's deallocator holds the array, so its buffer lives,
    /// unchanged (a writer to the tensor gets its own copy), until libzmq has sent the frame.
    /// Frames are never written to.
    static func payload(of tensor: Tensor) -> Data {
        #if _endian(little)
        // A tensor received and sent on (a get of a put tensor, a move between workers) goes
        // out from the bytes it came in; a bfloat16 one always does.
        if let borrowed = tensor.borrowed, borrowed.byteCount >= borrowedPayloadBytes || borrowed.encoding == .bfloat16 {
            guard borrowed.byteCount >= borrowedPayloadBytes else { return Data(bytes: borrowed.base, count: borrowed.byteCount) }
            return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: borrowed.base), count: borrowed.byteCount,
                        deallocator: .custom { _, _ in withExtendedLifetime(borrowed) {} })
        }
        #endif
        let values = tensor.scalars
        #if _endian(big)
        return Data(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #else
        return values.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count * 4 >= borrowedPayloadBytes else { return Data(buffer: buffer) }
            return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: buffer.count * 4,
                        deallocator: .custom { _, _ in withExtendedLifetime(values) {} })
        }
        #endif
    }
}

/// The payload frames of a message, handed out in order as the body names tensors.
struct PayloadFrames {
    let frames: [Data]
    let limits: WireLimits
    var next = 1

    /// The next payload frame, which must hold exactly `bytes` (what `needs` describes).
    private mutating func nextFrame(bytes: Int, for what: @autoclosure () -> String, needs: @autoclosure () -> String) throws -> Data {
        // The descriptions are built only for an error: a round decodes thousands of tensors.
        guard next < frames.count else {
            throw WireError(.frameMismatch, "\(what()) has no payload frame (only \(frames.count - 1) sent)")
        }
        let frame = frames[next]
        guard frame.count == bytes else {
            throw WireError(.frameMismatch, "payload frame \(next) has \(frame.count) bytes; \(needs()) needs \(bytes)")
        }
        next += 1
        return frame
    }

    /// The vector of Z/2^64 elements whose descriptor (dtype 2, rank 1, length) `reader` is at,
    /// from the next payload frame.
    mutating func ringVector(from reader: inout ByteReader) throws -> [UInt64] {
        let start = reader.offset
        let vector = try ring(from: &reader)
        guard vector.shape.count == 1 else {
            throw WireError(.malformed, "vector at offset \(start) has rank \(vector.shape.count); a masked input is rank 1")
        }
        return vector.elements
    }

    /// The ring tensor whose descriptor (dtype 2, rank, dimensions) `reader` is at, from the
    /// next payload frame.
    mutating func ring(from reader: inout ByteReader) throws -> RingTensor {
        let start = reader.offset
        let dtype = try reader.u8("ring tensor dtype")
        guard dtype == 2 else { throw WireError(.malformed, "ring tensor at offset \(start) has dtype \(dtype); a ring tensor is dtype 2 (u64)") }
        let shape = try self.shape(from: &reader, at: start, what: "ring tensor")
        let count = shape.reduce(1, *)
        let frame = try nextFrame(bytes: count * 8, for: "ring tensor at offset \(start)", needs: "shape \(shape)")
        let elements = [UInt64](unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = frame.copyBytes(to: buffer)
            for index in 0..<count { buffer[index] = UInt64(littleEndian: buffer[index]) }
            initialized = count
        }
        return try RingTensor(elements, shape: shape)
    }

    /// A descriptor's rank and dimensions, held to the limits.
    private func shape(from reader: inout ByteReader, at start: Int, what: String) throws -> [Int] {
        let rank = Int(try reader.u8("\(what) rank"))
        guard rank <= limits.maximumRank else {
            throw WireError(.limitExceeded, "\(what) at offset \(start) has rank \(rank); the limit is \(limits.maximumRank)")
        }
        var shape: [Int] = []
        // The product of the nonzero dimensions, not of all: an empty tensor of shape
        // [0, 2^32 - 1] holds nothing, but the tensor layer (and any kernel looping over its
        // other dimensions) refuses it, so it is refused here, as a limit, like a full one.
        var nonzero = 1
        for _ in 0..<rank {
            let dimension = Int(try reader.u32("\(what) dimension"))
            shape.append(dimension)
            guard dimension != 0 else { continue }
            let (product, overflow) = nonzero.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= limits.maximumTensorElements else {
                throw WireError(.limitExceeded, "\(what) at offset \(start) of shape \(shape)… exceeds \(limits.maximumTensorElements) elements (counting the nonzero dimensions of an empty one)")
            }
            nonzero = product
        }
        return shape
    }

    /// The tensor whose descriptor (dtype, rank, dimensions) `reader` is at, built from the
    /// next payload frame.
    mutating func tensor(from reader: inout ByteReader) throws -> Tensor {
        let start = reader.offset
        let dtype = try reader.u8("tensor dtype")
        guard dtype == 1 || dtype == 3 else {
            throw WireError(.malformed, "tensor at offset \(start) has dtype \(dtype); a tensor is dtype 1 (float32) or 3 (bfloat16) (2, u64, is a ring tensor's)")
        }
        let shape = try self.shape(from: &reader, at: start, what: "tensor")
        let elements = shape.reduce(1, *)
        if dtype == 3 { return try bfloat16Tensor(shape: shape, elements: elements, at: start) }
        let frame = try nextFrame(bytes: elements * 4, for: "tensor at offset \(start)", needs: "shape \(shape)")
        #if _endian(little)
        // Large payloads are borrowed, not copied (see `BorrowedFloats`): the tensor keeps the
        // frame, which owns the received libzmq message.
        if frame.count >= WireCodec.borrowedPayloadBytes,
           let base = frame.withUnsafeBytes({ $0.baseAddress }),
           let borrowed = BorrowedFloats(base: base, count: elements, owner: frame) {
            return try Tensor(shape: shape, borrowing: borrowed)
        }
        #endif
        let values = [Float](unsafeUninitializedCapacity: elements) { buffer, initialized in
            _ = frame.copyBytes(to: buffer)
            #if _endian(big)
            for index in 0..<elements { buffer[index] = Float(bitPattern: UInt32(littleEndian: buffer[index].bitPattern)) }
            #endif
            initialized = elements
        }
        return try Tensor(values, shape: shape)
    }

    /// A tensor of bfloat16 values (dtype 3) from the next payload frame: it reads them in
    /// place (a small frame's, copied), two bytes each, and widens them when first used as
    /// floats.
    private mutating func bfloat16Tensor(shape: [Int], elements: Int, at start: Int) throws -> Tensor {
        let frame = try nextFrame(bytes: elements * 2, for: "bfloat16 tensor at offset \(start)", needs: "shape \(shape)")
        #if _endian(little)
        // Only a large frame's bytes stay put (a small `Data` may hold them inline).
        if frame.count >= WireCodec.borrowedPayloadBytes,
           let base = frame.withUnsafeBytes({ $0.baseAddress }),
           let borrowed = BorrowedFloats(base: base, count: elements, owner: frame, encoding: .bfloat16) {
            return try Tensor(shape: shape, borrowing: borrowed)
        }
        #endif
        return try frame.withUnsafeBytes { try Tensor(shape: shape, copyingBFloat16: $0) }
    }
}
