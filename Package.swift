// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way: executables -> engine/archive -> core. PacaCore does no I/O.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "pacad",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pacactl", targets: ["pacactl"]),
        .executable(name: "pacad", targets: ["pacad"]),
        .executable(name: "pacabench", targets: ["pacabench"]),
        .executable(name: "pacareliability", targets: ["pacareliability"]),
        .library(name: "PacaArchive", targets: ["PacaArchive"]),
        .library(name: "PacaClient", targets: ["PacaClient"]),
        .library(name: "PacaProtocol", targets: ["PacaProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "CPacaSystem"),
        .target(
            name: "PacaSystem",
            dependencies: ["CPacaSystem"],
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(
            name: "PacaCore",
            swiftSettings: strict
        ),
        .target(
            name: "PacaAge",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PacaArchive",
            dependencies: [
                "CZlib",
                "PacaAge",
                "PacaSystem",
                "PacaCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PacaConfig",
            dependencies: ["PacaAge", "PacaCore", "PacaSystem", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "PacaData",
            dependencies: [
                "CZlib",
                "PacaCore",
                "PacaSystem",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PacaS3",
            dependencies: [
                "PacaCore",
                "PacaSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PacaCatalog",
            dependencies: ["PacaCore", "PacaData", "PacaSystem"],
            swiftSettings: strict
        ),
        .target(
            name: "PacaTargets",
            dependencies: ["PacaArchive", "PacaConfig", "PacaCore", "PacaS3", "PacaSystem"],
            swiftSettings: strict
        ),
        .target(
            name: "PacaFiles",
            dependencies: [
                "PacaArchive", "PacaCore", "PacaSystem", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PacaCapture",
            dependencies: ["PacaSystem"],
            swiftSettings: strict
        ),
        .target(
            name: "PacaEngine",
            dependencies: [
                "PacaArchive",
                "PacaCatalog",
                "PacaConfig",
                "PacaCore",
                "PacaFiles",
                "PacaSystem",
                "PacaTargets",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PacaScheduler",
            dependencies: [
                "PacaCatalog", "PacaConfig", "PacaCore", "PacaEngine", "PacaSystem", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PacaWatch",
            dependencies: ["PacaConfig", "PacaCore", "PacaEngine", "PacaSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "PacaDaemon",
            dependencies: [
                "CSystemd",
                "CPacaSystem",
                "PacaCapture",
                "PacaCatalog",
                "PacaClient",
                "PacaConfig",
                "PacaCore",
                "PacaData",
                "PacaEngine",
                "PacaFiles",
                "PacaProtocol",
                "PacaScheduler",
                "PacaSystem",
                "PacaTargets",
                "PacaWatch",
                "PacaWeb",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PacaWeb",
            dependencies: ["PacaCatalog", "PacaCore", "PacaFiles", "PacaProtocol"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "pacad",
            dependencies: [
                "PacaConfig",
                "PacaDaemon",
                "PacaEngine",
                "PacaProtocol",
                "PacaSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PacaProtocol",
            dependencies: ["PacaCore"],
            swiftSettings: strict
        ),
        .target(
            name: "PacaClient",
            dependencies: ["PacaAge", "PacaArchive", "PacaCore", "PacaProtocol", "PacaSystem"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "pacactl",
            dependencies: [
                "PacaAge",
                "PacaArchive",
                "PacaClient",
                "PacaConfig",
                "PacaCore",
                "PacaProtocol",
                "PacaSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "pacabench",
            dependencies: [
                "PacaAge", "PacaCatalog", "PacaCore", "PacaData", "PacaFiles", "PacaProtocol", "PacaS3", "PacaSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "pacareliability",
            dependencies: [
                "PacaArchive", "PacaCore", "PacaProtocol", "PacaS3", "PacaSystem", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaAgeTests",
            dependencies: ["PacaAge", "CZlib", "PacaSystem", "PacaTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["testkit"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaWebTests",
            dependencies: ["PacaCatalog", "PacaWeb", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaFilesTests",
            dependencies: ["PacaFiles", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaCaptureTests",
            dependencies: ["PacaCapture", "PacaSystem", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaConfigTests",
            dependencies: ["PacaAge", "PacaConfig", "PacaCore", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaDaemonTests",
            dependencies: [
                "PacaClient", "PacaCore", "PacaDaemon", "PacaFiles", "PacaProtocol", "PacaS3", "PacaSystem", "PacaTestSupport", "pacad",
                "pacactl",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaDataTests",
            dependencies: ["PacaData", "PacaCore", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .target(
            name: "PacaTestSupport",
            dependencies: [
                "PacaClient", "PacaConfig", "PacaCore", "PacaDaemon", "PacaEngine", "PacaProtocol", "PacaS3", "PacaSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PacaTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaSystemTests",
            dependencies: ["PacaSystem", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaCatalogTests",
            dependencies: ["PacaCatalog", "PacaCore", "PacaSystem", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaTargetsTests",
            dependencies: ["PacaConfig", "PacaTargets", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaSchedulerTests",
            dependencies: ["PacaCatalog", "PacaConfig", "PacaCore", "PacaEngine", "PacaScheduler", "PacaSystem", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaWatchTests",
            dependencies: ["PacaConfig", "PacaCore", "PacaEngine", "PacaSystem", "PacaTestSupport", "PacaWatch"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaEngineTests",
            dependencies: [
                "PacaArchive", "PacaCatalog", "PacaConfig", "PacaCore", "PacaEngine", "PacaS3", "PacaSystem", "PacaTargets",
                "PacaTestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaS3Tests",
            dependencies: ["PacaS3", "PacaCore", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaProtocolTests",
            dependencies: ["PacaCore", "PacaProtocol", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaCoreTests",
            dependencies: ["PacaCore", "PacaTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "pacactlTests",
            dependencies: ["PacaTestSupport", "pacactl"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PacaArchiveTests",
            dependencies: ["CZlib", "PacaArchive", "PacaCore", "PacaSystem", "PacaTestSupport"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
