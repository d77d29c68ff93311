// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tn-payments",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "payments-fcgi", targets: ["PaymentsServer"]),
        .executable(name: "payments-sync", targets: ["PaymentsSyncCLI"]),
        .executable(name: "payments-sandbox", targets: ["PaymentsSandbox"]),
        // The parsing libraries, for the libFuzzer harnesses in Fuzz/ (a package of its own).
        .library(
            name: "PaymentsLibraries",
            targets: [
                "FastCGI", "Signing", "PaymentsCore", "PaymentsStore", "Gateways", "PaymentsApp",
            ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Build time only: turns openapi/tn-payments.yaml into the JSON the responder serves.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries: a modulemap and shim.h each, nothing else.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // The only importers of each C module.
        .target(name: "FastCGI", dependencies: ["CFastCGI"], swiftSettings: strict),
        .target(name: "MariaDB", dependencies: ["CMariaDB"], swiftSettings: strict),
        .target(name: "Signing", dependencies: ["COpenSSL"], swiftSettings: strict),

        // Domain core: no C imports.
        .target(
            name: "PaymentsCore",
            dependencies: [
                "Signing", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        // The outbound HTTP client behind PaymentsCore's `HTTPTransport` seam (sockets; TLS through Signing's OpenSSL).
        .target(name: "OutboundHTTP", dependencies: ["PaymentsCore", "Signing"], swiftSettings: strict),
        .target(
            name: "PaymentsStore",
            dependencies: ["PaymentsCore", "MariaDB", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "Gateways",
            dependencies: [
                "PaymentsCore", "PaymentsStore", "Signing", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "PaymentsApp",
            dependencies: [
                "PaymentsCore", "PaymentsStore", "Gateways", "Signing", "MariaDB", "OutboundHTTP", "OpenAPIDocument",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // The version and git commit `--version` prints (the commit is written before each build by the plugin).
        .target(name: "BuildInfo", swiftSettings: strict, plugins: ["BuildInfoPlugin"]),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),

        // The OpenAPI document (openapi/tn-payments.yaml), embedded as JSON text by the plugin at build time.
        .target(name: "OpenAPIDocument", swiftSettings: strict, plugins: ["OpenAPIDocumentPlugin"]),
        .plugin(name: "OpenAPIDocumentPlugin", capability: .buildTool(), dependencies: ["openapi-embed"]),
        .executableTarget(
            name: "openapi-embed", dependencies: [.product(name: "Yams", package: "Yams")],
            path: "Sources/OpenAPIEmbed",
            swiftSettings: strict),

        // Executables: wiring only.
        .executableTarget(
            name: "PaymentsServer",
            dependencies: [
                "BuildInfo", "PaymentsApp", "PaymentsCore", "FastCGI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "PaymentsSyncCLI",
            dependencies: [
                "BuildInfo", "PaymentsApp", "PaymentsCore", "PaymentsStore", "MariaDB", "OutboundHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "PaymentsSandbox",
            dependencies: [
                "BuildInfo", "Signing", "PaymentsCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // Test doubles and contract checks shared by the test targets (never linked into an executable).
        .target(name: "PaymentsTestSupport", dependencies: ["PaymentsCore"], swiftSettings: strict),

        .testTarget(name: "SigningTests", dependencies: ["Signing"], exclude: ["Fixtures"]),
        .testTarget(name: "PaymentsCoreTests", dependencies: ["PaymentsCore", "PaymentsTestSupport", "Signing"]),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"]),
        .testTarget(name: "OutboundHTTPTests", dependencies: ["OutboundHTTP", "PaymentsCore", "Signing"]),
        .testTarget(
            name: "PaymentsAppTests",
            dependencies: ["PaymentsApp", "PaymentsCore", "PaymentsStore", "PaymentsTestSupport", "OpenAPIDocument"]),
        .testTarget(
            name: "GatewaysTests", dependencies: ["Gateways", "PaymentsCore", "PaymentsTestSupport", "Signing"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "MariaDBTests",
            dependencies: ["MariaDB", "PaymentsStore", "PaymentsCore", "PaymentsTestSupport", "PaymentsApp"]),
        // Gateways: the custom-gateway emulator's deliveries are checked with the responder's own verifier.
        .testTarget(
            name: "PaymentsSandboxTests", dependencies: ["PaymentsSandbox", "PaymentsCore", "Signing", "Gateways"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["PaymentsCore", "Signing", "MariaDB"]),
    ]
)
