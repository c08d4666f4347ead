#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

extension ThreadPool {
    /// The pool the kernels called on this thread split their loops over: the one
    /// ``runningKernels(on:_:)`` set on it, else ``shared``. O(1): one thread-specific read.
    public static var current: ThreadPool {
        guard let currentKey, let pointer = pthread_getspecific(currentKey) else { return shared }
        return Unmanaged<ThreadPool>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Runs `body` with the kernels it calls on this thread split over `pool` instead of
    /// ``shared`` (a scheduler evaluating on cores its in-process trainers leave idle), and puts
    /// back what was set before. `pool` must outlive the call; pools live as long as the process.
    public static func runningKernels<Result>(on pool: ThreadPool, _ body: () throws -> Result) rethrows -> Result {
        guard let currentKey else { return try body() }
        let previous = pthread_getspecific(currentKey)
        pthread_setspecific(currentKey, Unmanaged.passUnretained(pool).toOpaque())
        defer { pthread_setspecific(currentKey, previous) }
        return try body()
    }

    /// A pool of `threadCount` threads (at most ``maximumThreadCount``), made on first use and
    /// the same one after: ``shared`` when it has that many. Pools live as long as the process,
    /// so callers that come and go (a scheduler per run) share them instead of leaking threads.
    public static func sized(_ threadCount: Int) -> ThreadPool {
        let count = min(max(1, threadCount), maximumThreadCount)
        if count == shared.threadCount { return shared }
        return sizedPools.withLock { pools in
            if let pool = pools[count] { return pool }
            let pool = ThreadPool(threadCount: count)
            pools[count] = pool
            return pool
        }
    }

    /// The pools ``sized(_:)`` made, by thread count.
    private static let sizedPools = Mutex<[Int: ThreadPool]>([:])

    /// The thread-specific slot ``current`` reads (created once, never deleted); nil when the
    /// process has used up its keys (1,024 on Linux), and then every kernel uses ``shared``.
    private static let currentKey: pthread_key_t? = {
        var key = pthread_key_t()
        return pthread_key_create(&key, nil) == 0 ? key : nil
    }()
}
