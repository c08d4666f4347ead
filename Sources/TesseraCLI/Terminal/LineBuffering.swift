#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// Makes standard output line-buffered also into a pipe or a file (`make run | tee run.log`,
/// CI logs), so that round lines appear as they happen rather than when the process exits.
/// Called once, first thing in `main`, before any other thread writes.
func lineBufferStandardOutput() {
    setvbuf(stdout, nil, _IOLBF, 0)
}
