import Foundation
import CTesseraKernel
import Synchronization

/// A fixed pool of kernel threads that runs parallel-for loops over tiles.
///
/// The pool is created once per process with `threadCount` threads in all: the calling thread
/// works too, so `threadCount - 1` threads are started. No thread is created per call and a call
/// allocates nothing. Idle threads spin briefly (so back-to-back kernels wake them in
/// microseconds) and then sleep, so an idle process does not burn the cores it shares with
/// other workers.
///
/// The size comes from `TESSERA_THREADS` when set, else the number of active cores. Several
/// worker processes on one machine should each set a smaller count (see DESIGN.md, "The kernel").
///
/// Tasks are dealt out by affinity: thread `t` owns the `t`-th contiguous share of a loop's
/// tasks and runs it front to back; a thread that runs out takes tasks from the back of the
/// largest share left. So the same task index lands on the same thread from one loop to the
/// next (a kernel's per-slice loops keep their rows of C in that core's caches, which matters
/// when two vCPUs do not share an L3), and a slow thread still gets help at the end.
///
/// A loop started while another is running (from another thread, or from inside a task) runs
/// serially on its caller instead of waiting, so nested use cannot deadlock.
public final class ThreadPool: @unchecked Sendable {
    // @unchecked: all mutable state is either atomic or guarded by `condition` (see `Job`).

    /// The process-wide pool the kernels use.
    public static let shared: ThreadPool = {
        if let problem = KernelBuild.unsupportedCPUMessage { fatalError(problem) }
        _ = AllocatorTuning.applied
        return ThreadPool(threadCount: ThreadPool.configuredThreadCount())
    }()

    /// A pool that runs every loop on its caller (for kernels that are already inside a task).
    static let serial = ThreadPool(threadCount: 1)

    /// Number of threads that run a loop, the caller included.
    public let threadCount: Int

    private let condition = NSCondition()
    /// Bumped (under `condition`) each time a job is published; workers wait for a change.
    private let generation = Atomic<Int>(0)
    /// Tasks of the current job finished so far.
    private let completed = Atomic<Int>(0)
    /// Set while a loop runs; a second caller finding it set runs its loop serially.
    private let busy = Atomic<Bool>(false)
    /// The published job; guarded by `condition`.
    private var job = Job()
    /// Unclaimed tasks of each thread's share (`threadCount` entries, allocated once); guarded
    /// by `condition`.
    private let shares: UnsafeMutablePointer<Range<Int>>

    private typealias Body = (Int, Int) -> Void

    /// The published loop. `body` points at the caller's closure, which outlives the loop;
    /// holding a pointer (not the closure) means no worker retains it past the loop's end.
    private struct Job {
        var body: UnsafePointer<Body>?
        var taskCount = 0
    }

    /// Creates a pool that runs loops on `threadCount` threads (the caller included). The
    /// threads live as long as the process: create pools once, not per call.
    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        shares = .allocate(capacity: self.threadCount)
        shares.initialize(repeating: 0..<0, count: self.threadCount)
        for worker in 1..<self.threadCount {
            let thread = Thread {
                tessera_name_this_thread("tessera-pool\(worker)")
                // Generation 0, not the value when the thread first runs: a loop published
                // before a new thread gets going is still its to join.
                self.workerLoop(index: worker, seen: 0)
            }
            thread.start()
        }
    }

    /// Thread count from `TESSERA_THREADS` (``environmentThreadCount()``), else the active
    /// processor count.
    public static func configuredThreadCount() -> Int {
        environmentThreadCount() ?? ProcessInfo.processInfo.activeProcessorCount
    }

    /// The thread count `TESSERA_THREADS` sets (at most ``maximumThreadCount``): nil when it is
    /// unset, and when it is not a whole number of at least 1, which is then ignored with a
    /// warning on standard error (once a process).
    public static func environmentThreadCount() -> Int? {
        guard let text = ProcessInfo.processInfo.environment["TESSERA_THREADS"] else { return nil }
        guard let count = Int(text.trimmingCharacters(in: .whitespaces)), count > 0 else {
            if !warnedOfEnvironment.exchange(true, ordering: .relaxed) {
                FileHandle.standardError.write(Data("warning: TESSERA_THREADS='\(text)' is not a whole number of threads (1 or more); ignored\n".utf8))
            }
            return nil
        }
        // A million threads' stacks would abort the process allocating them.
        return min(count, maximumThreadCount)
    }

    /// Whether ``environmentThreadCount()`` has warned of a value it ignored.
    private static let warnedOfEnvironment = Atomic<Bool>(false)

    /// The most threads a pool is given, whatever `TESSERA_THREADS` says: more than any
    /// machine's cores, far fewer than would exhaust its memory with their stacks.
    public static let maximumThreadCount = 256

    /// Runs `body(task, thread)` for every `task` in `0..<taskCount`, spread over the pool's
    /// threads, and returns when all have finished. `thread` is in `0..<threadCount` and is
    /// unique among concurrently running tasks, so it can index per-thread scratch space.
    /// Which thread runs which task varies; results must not depend on it.
    public func parallelFor(_ taskCount: Int, _ body: (_ task: Int, _ thread: Int) -> Void) {
        if taskCount <= 0 { return }
        if taskCount == 1 || threadCount == 1
            || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for task in 0..<taskCount { body(task, 0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            withUnsafePointer(to: escapable) { pointer in
                completed.store(0, ordering: .relaxed)
                condition.lock()
                job = Job(body: pointer, taskCount: taskCount)
                for thread in 0..<threadCount {
                    shares[thread] = (taskCount * thread / threadCount)..<(taskCount * (thread + 1) / threadCount)
                }
                generation.add(1, ordering: .releasing)
                condition.broadcast()
                condition.unlock()

                runTasks(thread: 0)
                waitForCompletion(of: taskCount)

                condition.lock()
                job = Job()
                condition.unlock()
            }
        }
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs tasks of the current job until none is left.
    private func runTasks(thread: Int) {
        while true {
            condition.lock()
            guard let body = job.body, let task = claimTask(thread: thread) else {
                condition.unlock()
                return
            }
            let taskCount = job.taskCount
            condition.unlock()
            Self.invoke(body, task, thread)
            if completed.add(1, ordering: .releasing).newValue == taskCount {
                condition.lock()
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// The next task for `thread` (called under `condition`): the front of its own share, else
    /// the back of the largest share left, or nil when every task has been claimed.
    private func claimTask(thread: Int) -> Int? {
        let own = shares[thread]
        if !own.isEmpty {
            shares[thread] = (own.lowerBound + 1)..<own.upperBound
            return own.lowerBound
        }
        var victim = thread
        for other in 0..<threadCount where shares[other].count > shares[victim].count { victim = other }
        let share = shares[victim]
        if share.isEmpty { return nil }
        shares[victim] = share.lowerBound..<(share.upperBound - 1)
        return share.upperBound - 1
    }

    /// Calls the loop body. Not inlined, so that any retain of the closure is balanced before
    /// the task is counted as complete (the caller's closure must not escape the loop).
    @inline(never)
    private static func invoke(_ body: UnsafePointer<Body>, _ task: Int, _ thread: Int) {
        body.pointee(task, thread)
    }

    /// How long an idle thread polls before it sleeps. Long enough to bridge the gaps between
    /// the loops of one training step (a futex wake costs tens of microseconds in a VM), short
    /// enough that an idle worker process gives the cores back almost at once.
    private static let spinNanoseconds: UInt64 = 300_000

    /// Polls `isDone` until it holds or the spin time has passed; returns whether it held.
    @inline(__always)
    private func spin(until isDone: () -> Bool) -> Bool {
        let start = DispatchTime.now().uptimeNanoseconds
        var polls = 0
        while !isDone() {
            polls += 1
            if polls & 255 == 0 && DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds {
                return false
            }
        }
        return true
    }

    private func waitForCompletion(of taskCount: Int) {
        if !spin(until: { completed.load(ordering: .acquiring) >= taskCount }) {
            condition.lock()
            while completed.load(ordering: .acquiring) < taskCount {
                condition.wait()
            }
            condition.unlock()
        }
    }

    /// Runs each job published after generation `seen`, sleeping in between.
    private func workerLoop(index: Int, seen initial: Int) {
        var seen = initial
        while true {
            if !spin(until: { generation.load(ordering: .acquiring) != seen }) {
                condition.lock()
                while generation.load(ordering: .acquiring) == seen {
                    condition.wait()
                }
                condition.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            runTasks(thread: index)
        }
    }
}
