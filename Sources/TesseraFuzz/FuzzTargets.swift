import Foundation
import TesseraTensor
import TesseraWire
import TesseraWorker

// libFuzzer entry points for the code that bytes from the network reach (`make fuzz`). Built
// only with TESSERA_FUZZ=1 and `-sanitize=fuzzer,address`; TESSERA_FUZZ_TARGET picks the target:
//
// - `wire`: the decoder, on inputs cut into frames;
// - `worker`: the worker's request handler, on whatever of those decodes;
// - `ops`: a structure-aware generator of op programs with adversarial shapes and parameters,
//   run by the worker's handler (its size checks must refuse what cannot fit, never trap).
//
// TESSERA_FUZZ_SEEDS=DIR writes the seed corpus (encoded golden messages) there first.

/// The target this process fuzzes.
private let target = ProcessInfo.processInfo.environment["TESSERA_FUZZ_TARGET"] ?? "wire"

/// The worker the `worker` and `ops` targets drive: kept across inputs (state builds up as it
/// would on a live worker), with limits small enough that exhausting them is quick, and results
/// small enough (1 MiB) that a program of its heaviest ops stays well inside the time limit under the
/// sanitizers (a 64 MiB batched matmul of tiny matrices took over 10 s instrumented).
nonisolated(unsafe) private var service = WorkerService(workerID: "fuzz", store: ObjectStore(maximumObjects: 64, maximumBytes: 1 << 20))

private let codec = WireCodec(limits: WireLimits(maximumMessageBytes: 1 << 20))

/// Writes the seed corpus when asked (called once, before fuzzing).
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    if let directory = ProcessInfo.processInfo.environment["TESSERA_FUZZ_SEEDS"] {
        FuzzSeeds.write(to: URL(fileURLWithPath: directory), target: target)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let data = Data(bytes: bytes, count: count)
    switch target {
    case "ops":
        var program = OpProgram(data)
        program.run(on: &service)
    default:
        guard let envelope = try? codec.decode(FuzzSeeds.frames(from: data)) else { return 0 }
        if target == "worker" { _ = service.handle(envelope.message) }
    }
    return 0
}

/// libFuzzer's driver (in the fuzzer runtime `-sanitize=fuzzer` links).
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<Int32>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

/// The executable's entry point as SwiftPM links it (`main` is defined as this symbol): runs
/// libFuzzer's driver on the target above.
@_cdecl("TesseraFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    var initArguments = arguments
    _ = fuzzerInitialize(&count, &initArguments)
    return runDriver(&count, &arguments) { bytes, size in fuzzerTestOneInput(bytes, size) }
}
