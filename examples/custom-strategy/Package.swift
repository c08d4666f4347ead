// swift-tools-version:6.0
import PackageDescription

// A strategy Tessera does not ship (FedNova), in a package of its own that depends on Tessera
// by path: the library holds the strategy, the executable is the whole `tessera` command with
// it registered as `training.strategy: fednova`.
let package = Package(
    name: "CustomStrategy",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FedNova", targets: ["FedNova"]),
        .executable(name: "fednova-tessera", targets: ["fednova-tessera"]),
    ],
    dependencies: [
        .package(name: "Tessera", path: "../.."),
    ],
    targets: [
        .target(name: "FedNova", dependencies: [
            .product(name: "TesseraScheduler", package: "Tessera"),
            .product(name: "TesseraNN", package: "Tessera"),
        ]),
        .executableTarget(name: "fednova-tessera", dependencies: [
            "FedNova",
            .product(name: "TesseraCLI", package: "Tessera"),
            .product(name: "TesseraScheduler", package: "Tessera"),
        ]),
        .testTarget(name: "FedNovaTests", dependencies: [
            "FedNova",
            .product(name: "TesseraScheduler", package: "Tessera"),
            .product(name: "TesseraNN", package: "Tessera"),
            .product(name: "TesseraTensor", package: "Tessera"),
        ]),
    ]
)
