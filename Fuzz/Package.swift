// swift-tools-version:6.2
// The libFuzzer targets (MQTT decoder; telemetry and twin parsers), in their own package so that normal
// builds skip them.
// Build and run with scripts/fuzz.
import PackageDescription

let package = Package(
    name: "TwinGuardFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "TwinGuard", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "MQTTCodecFuzz",
            dependencies: [.product(name: "MQTTCodec", package: "TwinGuard")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        ),
        .executableTarget(
            name: "TelemetryFuzz",
            dependencies: [.product(name: "TelemetryParsers", package: "TwinGuard")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        ),
    ]
)
