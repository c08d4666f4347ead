import Foundation
import Testing
@testable import TesseraTensor

@Suite("Kernel build")
struct KernelBuildTests {
    /// The kernel is built the way the package promises: for AVX2/FMA on x86-64, unless the
    /// build (and this test run) set `TESSERA_PORTABLE=1`; portable everywhere else.
    @Test func instructionSetFollowsTheBuildSetting() {
        #if arch(x86_64)
        let portable = ProcessInfo.processInfo.environment["TESSERA_PORTABLE"] == "1"
        #expect(KernelBuild.usesAVX2 == !portable)
        #else
        #expect(!KernelBuild.usesAVX2)
        #endif
    }

    /// The CPU check agrees with what Linux reports for this CPU.
    @Test func cpuCheckAgreesWithProcCpuinfo() throws {
        #if arch(x86_64) && os(Linux)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flagsLine = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        #expect(KernelBuild.cpuRunsAVX2 == (flags.contains("avx2") && flags.contains("fma")))
        #endif
    }

    @Test func onlyAnAVX2BuildOnACPUWithoutItIsRefused() throws {
        #expect(KernelBuild.message(compiledForAVX2: false, cpuRunsAVX2: false) == nil)
        #expect(KernelBuild.message(compiledForAVX2: false, cpuRunsAVX2: true) == nil)
        #expect(KernelBuild.message(compiledForAVX2: true, cpuRunsAVX2: true) == nil)
        let message = try #require(KernelBuild.message(compiledForAVX2: true, cpuRunsAVX2: false))
        #expect(message.contains("AVX2") && message.contains("PORTABLE=1"))
        #expect(KernelBuild.unsupportedCPUMessage == nil, "this machine runs the tests, so it runs the kernel")
    }
}
