import Foundation

/// Random numbers from the operating system's cryptographically secure generator (the
/// kernel's, through `/dev/urandom`), read 64 KiB at a time so that the millions of draws a
/// model's noise needs do not each make a system call. What differential privacy's noise and
/// sampling must come from: the run's seed is in its topology, and noise drawn from it could
/// be subtracted. Each instance keeps its own buffer; not shared across threads.
public struct SystemEntropy: RandomNumberGenerator, Sendable {
    private var buffer = [UInt64](repeating: 0, count: 8192)
    private var position = 8192

    /// `/dev/urandom`, opened once per process (reads from several threads are safe); -1 when
    /// it cannot be opened, and then the standard library's secure generator is used.
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

    private mutating func refill() {
        var filled = 0
        buffer.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress, Self.device >= 0 else { return }
            while filled < bytes.count {
                let count = read(Self.device, base + filled, bytes.count - filled)
                if count > 0 { filled += count } else if count < 0 && errno == EINTR { continue } else { return }
            }
        }
        guard filled < buffer.count * 8 else { return }
        var fallback = SystemRandomNumberGenerator()
        for index in (filled / 8)..<buffer.count { buffer[index] = fallback.next() }
    }
}
