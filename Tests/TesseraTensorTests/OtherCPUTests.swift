import Foundation
import Testing
import TesseraTensor
import TesseraTestSupport

/// The kernel on an x86-64 CPU without AVX2/FMA, emulated by `qemu-x86_64 -cpu Nehalem`
/// (Debian's qemu-user; `make test` installs it when run as root). The default build must refuse
/// with its advice instead of dying of an illegal instruction; the portable build
/// (`TESSERA_PORTABLE=1`, which `make test` also runs these suites on) must train.
@Suite("A CPU without AVX2")
struct OtherCPUTests {
    static let qemu = ["/usr/bin/qemu-x86_64", "/usr/local/bin/qemu-x86_64"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    #if arch(x86_64)
    static let canEmulate = qemu != nil
    #else
    static let canEmulate = false
    #endif

    @Test(.enabled(if: canEmulate, "needs qemu-x86_64 (Debian qemu-user) on x86-64"))
    func theKernelRefusesOrRunsAsBuilt() throws {
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-nehalem-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        let run = try ProcessHarness(
            ["train", "--model", "logreg", "--data", "synthetic", "--limit", "512", "--epochs", "1", "--quiet",
             "--checkpoint", checkpoint.path],
            wrapper: [try #require(Self.qemu), "-cpu", "Nehalem"], includingErrors: true)
        let status = run.waitForExit(timeout: 120)
        let output = run.outputLines.joined(separator: "\n")
        if KernelBuild.usesAVX2 {
            #expect(status == 1, "\(output)")
            #expect(output.contains("needs a CPU with AVX2 and FMA") && output.contains("PORTABLE=1"), "\(output)")
        } else {
            #expect(status == 0, "\(output)")
            let line = try #require(run.outputLines.first { $0.hasPrefix("test accuracy") }, "\(output)")
            let accuracy = try #require(line.split(separator: " ").dropFirst(2).first.flatMap { Double($0.dropLast()) })
            #expect(accuracy > 30, "a linear model on 512 synthetic digits: \(line)")
        }
    }
}
