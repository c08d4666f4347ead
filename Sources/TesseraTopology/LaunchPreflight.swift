import Foundation
import TesseraNN
import TesseraScheduler
import TesseraTransport

/// What a local launch will need of this machine, checked before anything starts: a topology
/// that asks for more processes, memory or file descriptors than the machine has fails with the
/// numbers and what to do, instead of after starting a hundred workers.
enum LaunchPreflight {
    /// Memory of a worker process besides its data and model: a release worker training
    /// mnist-2nn on 4,000 synthetic digits measured 37 MB resident (2026-12-04), of which about
    /// 5 MB were its data and model.
    static let workerBaseBytes = 32 << 20
    /// Descriptors the launching process needs per local worker (its connection to the
    /// scheduler, its log file while it starts, its process handle) and for itself.
    static let descriptorsPerWorker = 4
    static let descriptorsReserved = 256

    /// Memory of a client a process hosts, idle: twice the 380 bytes measured per client
    /// between 20,000 and 200,000 clients in one release process (2026-12-07: RSS 106-108 and
    /// 173-179 MB at round 2 of sim-1m's workload).
    static let hostedClientBytes = 768
    /// Memory the scheduler (the launching process) keeps per registered client: twice the 222
    /// bytes measured between 40,000 and 400,000 clients (2026-12-07: RSS 74 and 154 MB).
    static let schedulerClientBytes = 448

    /// Checks that `processes` local worker processes, each hosting `clientsPerProcess`
    /// clients, `concurrent` of them loading the data at once, and the scheduler's record of
    /// their clients fit this machine with `plan`'s data and `model`.
    ///
    /// - Throws: ``TopologyError`` naming the key to change.
    static func check(processes workers: Int, clientsPerProcess: Int = 1, concurrent: Int, plan: DataPlan, model: ModelSpec, file: String) throws {
        let modelBytes = try Model(spec: model, seed: 0).parameters.scalarCount * 4
        let largestShare = (plan.shares.training.max() ?? 0) + (plan.shares.heldOut.max() ?? 0)
        // Each worker keeps its share and the model four times over (weights, gradients, the
        // task's copy, the update); while joining it holds the whole training set (MNIST, the
        // generated sets) or, from a data file, every label and client id. A process hosting
        // clients keeps the whole training set (their shares index it) and their idle state.
        let data = clientsPerProcess > 1 ? plan.trainingSamples * plan.sampleBytes + clientsPerProcess * hostedClientBytes
            : largestShare * plan.sampleBytes
        let perWorker = workerBaseBytes + data + 4 * modelBytes
        let joining = plan.trainingSamples * (plan.workersReadAll ? plan.sampleBytes * 2 : 24)
        let scheduler = workers.multipliedReportingOverflow(by: clientsPerProcess * schedulerClientBytes).partialValue
        let needed = workers.multipliedReportingOverflow(by: perWorker).partialValue + min(workers, concurrent) * joining + scheduler
        if let available = availableMemory(), needed > available {
            let what = clientsPerProcess > 1 ? "\(workers) local worker processes of \(clientsPerProcess) clients" : "\(workers) local workers"
            throw TopologyError(file: file, line: nil, key: clientsPerProcess > 1 ? "workers.clients_per_process" : "workers.count", message: """
                \(what) would need about \(gibibytes(needed)) of memory (\(mebibytes(perWorker)) each, \
                \(mebibytes(joining)) for each of the \(min(workers, concurrent)) loading the data at once, and \(mebibytes(scheduler)) \
                for the scheduler's record of their clients); this machine has \
                \(gibibytes(available)) available: use fewer workers\(clientsPerProcess > 1 ? " or more clients per process" : ""), \
                or start them on other hosts (workers.launch: ssh or slurm)
                """)
        }
        var processes = rlimit()
        if getrlimit(__rlimit_resource_t(__RLIMIT_NPROC.rawValue), &processes) == 0, workers + 16 > Int(clamping: processes.rlim_cur) {
            throw TopologyError(file: file, line: nil, key: "workers.count",
                                message: "\(workers) local workers are more processes than this user may start (ulimit -u: \(processes.rlim_cur)): use fewer, or start them on other hosts")
        }
        let descriptors = DescriptorLimit.raise()
        let descriptorsNeeded = workers.multipliedReportingOverflow(by: descriptorsPerWorker).partialValue + descriptorsReserved
        if descriptorsNeeded > descriptors {
            throw TopologyError(file: file, line: nil, key: "workers.count",
                                message: "\(workers) local workers need about \(descriptorsNeeded) open files in the launching process; its limit is \(descriptors) (ulimit -n, hard limit included): use fewer workers, raise the limit, or start them on other hosts")
        }
    }

    /// MemAvailable from /proc/meminfo, in bytes (nil where there is none).
    static func availableMemory() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kilobytes * 1_024
    }

    static func gibibytes(_ bytes: Int) -> String { String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
    static func mebibytes(_ bytes: Int) -> String { String(format: "%.0f MiB", Double(bytes) / Double(1 << 20)) }
}
