import Crypto
import CryptoExtras
import Foundation

/// Cryptographically secure random numbers: 64 KiB at a time, the ChaCha20 keystream
/// (swift-crypto) under a fresh 256-bit key read from the operating system's generator
/// (`/dev/urandom`) for each, so that the millions of draws a model's noise needs neither make
/// a system call each nor wait on the kernel's generator for every byte. What differential
/// privacy's noise and sampling must come from: the run's seed is in its topology, and noise
/// drawn from it could be subtracted. Each instance keeps its own buffer; not shared across
/// threads.
public struct SystemEntropy: RandomNumberGenerator, Sendable {
    private var buffer = [UInt64](repeating: 0, count: Self.words)
    private var position = Self.words

    /// The 64-bit words one key gives (64 KiB).
    private static let words = 8192

    /// `/dev/urandom`, opened once per process (reads from several threads are safe); -1 when
    /// it cannot be opened, and then the standard library's secure generator gives the keys.
    private static let device: Int32 = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    /// A generator reading the system's.
    public init() {}

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        if position == buffer.count {
            refill()
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }

    /// The next 64 KiB: the keystream under a new key (so the fixed nonce is never reused).
    private mutating func refill() {
        let key = SymmetricKey(data: Self.keyBytes())
        do {
            let stream = try Insecure.ChaCha20CTR.encrypt(Data(count: Self.words * 8), using: key,
                                                          nonce: try Insecure.ChaCha20CTR.Nonce(data: Data(count: 12)))
            buffer.withUnsafeMutableBytes { target in stream.withUnsafeBytes { target.copyMemory(from: $0) } }
        } catch {
            var fallback = SystemRandomNumberGenerator()
            for index in buffer.indices { buffer[index] = fallback.next() }
        }
    }

    /// 32 bytes from `/dev/urandom`, or from the standard library's secure generator when it
    /// cannot be read.
    private static func keyBytes() -> [UInt8] {
        var key = [UInt8](repeating: 0, count: 32)
        var filled = 0
        key.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress, device >= 0 else { return }
            while filled < bytes.count {
                let count = read(device, base + filled, bytes.count - filled)
                if count > 0 { filled += count } else if count < 0 && errno == EINTR { continue } else { return }
            }
        }
        guard filled < key.count else { return key }
        var fallback = SystemRandomNumberGenerator()
        for index in key.indices { key[index] = UInt8(truncatingIfNeeded: fallback.next()) }
        return key
    }
}
