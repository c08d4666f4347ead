import Foundation
import Synchronization
import Testing
@testable import TesseraTensor

/// Serialized, on pools no other suite uses: a loop started while another runs on the same
/// pool runs serially, which would hide the scheduling these tests look at.
@Suite("Thread pool", .serialized)
struct ThreadPoolTests {
    static let two = ThreadPool(threadCount: 2)
    static let three = ThreadPool(threadCount: 3)

    @Test(arguments: [1, 2, 3, 5, 16, 101])
    func everyTaskRunsOnceOnAValidThread(taskCount: Int) {
        for pool in [Self.two, Self.three] {
            let runs = Mutex([Int](repeating: 0, count: taskCount))
            let badThread = Atomic<Bool>(false)
            pool.parallelFor(taskCount) { task, thread in
                if !(0..<pool.threadCount).contains(thread) { badThread.store(true, ordering: .relaxed) }
                runs.withLock { $0[task] += 1 }
            }
            #expect(runs.withLock { $0 } == [Int](repeating: 1, count: taskCount), "pool of \(pool.threadCount)")
            let sawBadThread = badThread.load(ordering: .relaxed)
            #expect(!sawBadThread)
        }
    }

    /// Each thread runs its own contiguous share: with a four-task loop run in two rounds (a
    /// task waits until both tasks of its round have started), no thread can run out of work
    /// while the other still has some, so thread 0 runs tasks 0-1 and thread 1 tasks 2-3 — the
    /// affinity the GEMM's per-slice loops rely on to keep C's rows in one core's caches.
    @Test func threadsRunTheirOwnShare() {
        let started = Atomic<Int>(0)
        let threadOfTask = Mutex([Int](repeating: -1, count: 4))
        Self.two.parallelFor(4) { task, thread in
            threadOfTask.withLock { $0[task] = thread }
            let round = task % 2 + 1
            started.add(1, ordering: .relaxed)
            let deadline = Date().addingTimeInterval(20)
            while started.load(ordering: .relaxed) < 2 * round && Date() < deadline {}
        }
        #expect(threadOfTask.withLock { $0 } == [0, 0, 1, 1])
    }

    /// A loop published before a new pool's thread has begun to run is still joined by it
    /// (the thread once took the generation it first saw as done, and sat that loop out).
    @Test func aNewPoolsThreadsJoinItsFirstLoop() {
        for _ in 0..<3 {
            let pool = ThreadPool(threadCount: 2)
            let started = Atomic<Int>(0)
            let threadOfTask = Mutex([Int](repeating: -1, count: 2))
            pool.parallelFor(2) { task, thread in
                threadOfTask.withLock { $0[task] = thread }
                started.add(1, ordering: .relaxed)
                let deadline = Date().addingTimeInterval(20)
                while started.load(ordering: .relaxed) < 2 && Date() < deadline {}
            }
            #expect(threadOfTask.withLock { $0 } == [0, 1])
        }
    }

    /// A thread that finishes its share takes tasks from the back of a busy thread's share.
    @Test func anIdleThreadTakesTasksFromABusyOne() {
        let threadOfTask = Mutex([Int](repeating: -1, count: 8))
        let finished = Atomic<Int>(0)
        Self.two.parallelFor(8) { task, thread in
            threadOfTask.withLock { $0[task] = thread }
            // Task 0 holds its thread until every other task has run (or 5 s have passed), so
            // tasks 1-3 of thread 0's share can only have run on thread 1.
            let deadline = Date().addingTimeInterval(5)
            while task == 0 && finished.load(ordering: .relaxed) < 7 && Date() < deadline {}
            finished.add(1, ordering: .relaxed)
        }
        let threads = threadOfTask.withLock { $0 }
        #expect(threads[1..<4].allSatisfy { $0 == 1 }, "thread of each task: \(threads)")
    }

    @Test func nestedLoopsRunSeriallyInsteadOfDeadlocking() {
        let total = Atomic<Int>(0)
        Self.two.parallelFor(4) { _, _ in
            Self.two.parallelFor(3) { _, _ in total.add(1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 12)
    }

    /// Kernels called inside `runningKernels(on:)` split over that pool, on that thread only
    /// (another thread still sees the shared pool), and the pool before is back after, nested too.
    @Test func aThreadsKernelsRunOnThePoolItSet() throws {
        #expect(ThreadPool.current === ThreadPool.shared)
        ThreadPool.runningKernels(on: Self.three) {
            #expect(ThreadPool.current === Self.three)
            let elsewhere = Mutex<ThreadPool?>(nil)
            let done = DispatchSemaphore(value: 0)
            Thread {
                elsewhere.withLock { $0 = ThreadPool.current }
                done.signal()
            }.start()
            done.wait()
            #expect(elsewhere.withLock { $0 } === ThreadPool.shared)
            ThreadPool.runningKernels(on: Self.two) { #expect(ThreadPool.current === Self.two) }
            #expect(ThreadPool.current === Self.three)
        }
        #expect(ThreadPool.current === ThreadPool.shared)
        // A product large enough to split runs on the set pool's threads.
        let threads = Mutex(Set<Int>())
        ThreadPool.runningKernels(on: Self.three) {
            ThreadPool.current.parallelFor(64) { _, thread in
                threads.withLock { _ = $0.insert(thread) }
                usleep(200)
            }
        }
        #expect(threads.withLock { $0.count } > 1 && threads.withLock { $0.allSatisfy { $0 < 3 } })
    }

    /// A pool of a given size is made once and handed out after; the shared pool's size is the
    /// shared pool, and sizes are clamped to at least one thread.
    @Test func sizedPoolsAreMadeOnce() {
        #expect(ThreadPool.sized(ThreadPool.shared.threadCount) === ThreadPool.shared)
        let size = ThreadPool.shared.threadCount + 1
        #expect(ThreadPool.sized(size) === ThreadPool.sized(size))
        #expect(ThreadPool.sized(size).threadCount == size)
        #expect(ThreadPool.sized(0).threadCount == 1)
    }
}
