import CTesseraKernel

/// The instruction set the kernel was compiled for, and whether this CPU runs it.
///
/// On x86-64 the kernel is compiled for AVX2 and FMA (x86-64-v3) unless the package was built
/// with `TESSERA_PORTABLE=1` (`make build PORTABLE=1`), which compiles the same SIMD code for
/// any x86-64 CPU: correct, several times slower. Other architectures always build the portable
/// code at their native vector width.
public enum KernelBuild {
    /// Whether the kernel target was compiled for AVX2 and FMA.
    public static let usesAVX2: Bool = tessera_compiled_for_avx2_fma() != 0

    /// Whether this CPU (and operating system) runs AVX2 and FMA code.
    public static let cpuRunsAVX2: Bool = tessera_cpu_runs_avx2_fma() != 0

    /// Nil when this CPU runs the kernel as built; otherwise the error to report before any
    /// kernel code runs (it would stop at its first AVX2 instruction).
    public static var unsupportedCPUMessage: String? {
        message(compiledForAVX2: usesAVX2, cpuRunsAVX2: cpuRunsAVX2)
    }

    static func message(compiledForAVX2: Bool, cpuRunsAVX2: Bool) -> String? {
        guard compiledForAVX2 && !cpuRunsAVX2 else { return nil }
        return "this build of Tessera's kernel needs a CPU with AVX2 and FMA (x86-64-v3), which this one lacks; "
            + "rebuild it for any x86-64 CPU with `make build PORTABLE=1` (or `TESSERA_PORTABLE=1 swift build`)"
    }
}
