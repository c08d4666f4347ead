// swift-tools-version:6.0
import PackageDescription

// The kernel target is always optimized (debug builds too, so tests run fast) and, on x86-64,
// built for AVX2/FMA: without `-march=x86-64-v3`, `SIMD.addingProduct` becomes a libm call per
// lane. `TESSERA_PORTABLE=1` builds it for any x86-64 CPU instead (correct, slower). Other
// architectures use the same Swift SIMD code on their native vector width.
#if arch(x86_64)
let kernelInstructionSet = Context.environment["TESSERA_PORTABLE"] == "1" ? [] : ["-Xcc", "-march=x86-64-v3"]
#else
let kernelInstructionSet: [String] = []
#endif
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-O", "-enforce-exclusivity=unchecked"] + kernelInstructionSet),
]

// Targets with hot scalar loops (optimizer updates, data decoding) stay optimized in debug too.
let optimizedFlags: [SwiftSetting] = [.unsafeFlags(["-O"])]

// The libFuzzer targets (`make fuzz`) exist only in a TESSERA_FUZZ=1 build, which adds
// `-sanitize=fuzzer,address`: libFuzzer provides their main.
let fuzzing = Context.environment["TESSERA_FUZZ"] == "1"

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TesseraTensor", targets: ["TesseraTensor"]),
        .library(name: "TesseraNN", targets: ["TesseraNN"]),
        .library(name: "TesseraData", targets: ["TesseraData"]),
        .library(name: "TesseraWire", targets: ["TesseraWire"]),
        .library(name: "TesseraTrace", targets: ["TesseraTrace"]),
        .library(name: "TesseraSecureAggregation", targets: ["TesseraSecureAggregation"]),
        .library(name: "TesseraTransport", targets: ["TesseraTransport"]),
        .library(name: "TesseraWorker", targets: ["TesseraWorker"]),
        .library(name: "TesseraScheduler", targets: ["TesseraScheduler"]),
        .library(name: "TesseraTopology", targets: ["TesseraTopology"]),
        .library(name: "TesseraCLI", targets: ["TesseraCLI"]),
        .executable(name: "tessera", targets: ["tessera"]),
    ] + (fuzzing ? [.executable(name: "tessera-fuzz", targets: ["TesseraFuzz"])] : []),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CTesseraKernel"),
        .target(
            name: "TesseraTensor",
            dependencies: ["CTesseraKernel"],
            swiftSettings: kernelFlags
        ),
        .target(
            name: "TesseraNN",
            dependencies: ["TesseraTensor", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "CryptoExtras", package: "swift-crypto")],
            swiftSettings: optimizedFlags
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "TesseraData",
            dependencies: ["TesseraTensor", "CZlib", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: optimizedFlags
        ),
        .target(
            name: "TesseraWire",
            dependencies: ["TesseraTensor", "TesseraNN", "TesseraData"],
            swiftSettings: optimizedFlags
        ),
        .systemLibrary(
            name: "CZMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "TesseraTrace", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(
            name: "TesseraSecureAggregation",
            dependencies: ["TesseraTensor", .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto")],
            swiftSettings: optimizedFlags
        ),
        .target(
            name: "TesseraTransport",
            dependencies: ["CZMQ", "TesseraTensor", "TesseraWire", "TesseraTrace", .product(name: "DequeModule", package: "swift-collections"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "TesseraWorker",
            dependencies: ["TesseraTensor", "TesseraNN", "TesseraData", "TesseraWire", "TesseraTransport", "TesseraTrace", "TesseraSecureAggregation",
                           .product(name: "HeapModule", package: "swift-collections"), .product(name: "DequeModule", package: "swift-collections"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "TesseraScheduler",
            dependencies: ["TesseraTensor", "TesseraNN", "TesseraData", "TesseraWire", "TesseraTransport", "TesseraTrace",
                           "TesseraSecureAggregation", .product(name: "Logging", package: "swift-log")],
            swiftSettings: optimizedFlags
        ),
        .target(
            name: "TesseraTopology",
            dependencies: ["TesseraScheduler", "TesseraWorker", "TesseraNN", "TesseraTensor", "TesseraTransport", "TesseraTrace", .product(name: "Yams", package: "Yams"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "TesseraExamples",
            dependencies: ["TesseraTensor", "TesseraWire", "TesseraWorker"]
        ),
        .target(
            name: "TesseraCLI",
            dependencies: [
                "TesseraTensor",
                "TesseraNN",
                "TesseraData",
                "TesseraWire",
                "TesseraTransport",
                "TesseraWorker",
                "TesseraTrace",
                "TesseraExamples",
                "TesseraScheduler",
                "TesseraTopology",
                "TesseraSecureAggregation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "tessera",
            dependencies: ["TesseraCLI"]
        ),
    ] + (fuzzing ? [
        .executableTarget(
            name: "TesseraFuzz",
            dependencies: ["TesseraTensor", "TesseraWire", "TesseraWorker"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ] : []) + [
        .testTarget(
            name: "TesseraTensorTests",
            dependencies: ["TesseraTensor", "TesseraTestSupport"]
        ),
        .testTarget(
            name: "TesseraNNTests",
            dependencies: ["TesseraNN", "TesseraTensor"]
        ),
        .testTarget(
            name: "TesseraWireTests",
            dependencies: ["TesseraWire", "TesseraTensor", "TesseraTestSupport"]
        ),
        .target(
            name: "TesseraTestSupport",
            dependencies: ["TesseraTensor", "TesseraWire"],
            path: "Tests/TesseraTestSupport"
        ),
        .testTarget(
            name: "TesseraWorkerTests",
            dependencies: ["TesseraWorker", "TesseraWire", "TesseraTransport", "TesseraTrace", "TesseraTensor", "TesseraNN", "TesseraData", "TesseraExamples",
                           "TesseraTestSupport"]
        ),
        .testTarget(
            name: "TesseraSchedulerTests",
            dependencies: ["TesseraScheduler", "TesseraWorker", "TesseraData", "TesseraWire", "TesseraTransport", "TesseraNN", "TesseraTensor", "TesseraSecureAggregation",
                           "TesseraTestSupport"]
        ),
        .testTarget(
            name: "TesseraTopologyTests",
            dependencies: ["TesseraTopology", "TesseraScheduler", "TesseraTransport", "TesseraNN", "TesseraTestSupport"]
        ),
        .testTarget(
            name: "TesseraSecureAggregationTests",
            dependencies: ["TesseraSecureAggregation"]
        ),
        .testTarget(
            name: "TesseraTraceTests",
            dependencies: ["TesseraTrace", "TesseraTestSupport"]
        ),
        .testTarget(
            name: "TesseraTransportTests",
            dependencies: ["TesseraTransport"]
        ),
        .testTarget(
            name: "TesseraDataTests",
            dependencies: ["TesseraData", "TesseraTensor", "TesseraTestSupport"],
            exclude: ["Fixtures"]
        ),
    ]
)
