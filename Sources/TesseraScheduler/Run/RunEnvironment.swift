import Foundation
import TesseraTensor
import TesseraTransport

/// Where and how a run ran, as `environment.json` in its run directory records it for reports:
/// the command, the host and its CPU, the kernel build and threads, and the versions of Tessera,
/// the Swift compiler and libzmq.
public struct RunEnvironment: Sendable, Codable, Equatable {
    /// Tessera's version.
    public static let tesseraVersion = "0.1.0"

    /// The process's command line.
    public var command: [String]
    /// Host name.
    public var host: String
    /// CPU model (from /proc/cpuinfo; "unknown" elsewhere).
    public var cpu: String
    /// Cores this process may use.
    public var cores: Int
    /// Physical memory in bytes.
    public var memoryBytes: UInt64
    /// Operating system and its release.
    public var system: String
    /// Kernel build: "AVX2/FMA" or "portable".
    public var kernel: String
    /// Threads of this process's kernel pool.
    public var threads: Int
    /// Tessera, Swift compiler and libzmq versions.
    public var tessera: String
    /// See ``tessera``.
    public var swift: String
    /// See ``tessera``.
    public var libzmq: String
    /// The data the scheduler used (`data.source: auto` resolved), when known.
    public var data: String?

    /// This process's environment.
    public static func current() -> RunEnvironment {
        var name = utsname()
        uname(&name)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":", maxSplits: 1).last
        return RunEnvironment(command: CommandLine.arguments, host: ProcessInfo.processInfo.hostName,
                              cpu: model.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown",
                              cores: ProcessInfo.processInfo.activeProcessorCount, memoryBytes: ProcessInfo.processInfo.physicalMemory,
                              system: "\(text(name.sysname)) \(text(name.release)) \(text(name.machine))",
                              kernel: KernelBuild.usesAVX2 ? "AVX2/FMA" : "portable", threads: ThreadPool.shared.threadCount,
                              tessera: tesseraVersion, swift: compilerVersion, libzmq: Transport.libzmqVersion)
    }

    /// The Swift compiler that built this binary, as far as `#if compiler` tells.
    static var compilerVersion: String {
        #if compiler(>=6.4)
        "6.4 or later"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #else
        "before 6.2"
        #endif
    }

    /// Writes `environment.json` into `directory`.
    func write(into directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(self).write(to: directory.appendingPathComponent("environment.json"), options: .atomic)
    }
}
