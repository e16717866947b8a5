import Foundation
import MQTT
import Testing

@testable import TwinGuardServer

@Suite("Configuration: defaults, TOML file, environment, flags")
struct ConfigurationLoaderTests {
    func writeTOML(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tg-\(UUID().uuidString).toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("defaults work without any source")
    func defaults() throws {
        let config = try ConfigurationLoader.load(defaults: ServerConfiguration(), file: nil, environment: [:], overrides: [])
        #expect(config.mqttPort == 1883)
        #expect(config.httpPort == 8080)
        #expect(config.dataDir == "./twinguard-data")
        #expect(config.bind == "0.0.0.0")
        #expect(config.allowAnonymous == false)
        #expect(config.limits.maxConnections == 100_000)
    }

    @Test("later sources win: file, then environment, then flags")
    func precedence() throws {
        let file = try self.writeTOML("mqtt_port = 1000\nhttp_port = 2000\n[limits]\nmax_inflight = 5\n")
        let config = try ConfigurationLoader.load(
            defaults: ServerConfiguration(), file: file,
            environment: ["TWINGUARD_MQTT_PORT": "1001", "TWINGUARD_LIMITS_MAX_INFLIGHT": "6", "HOME": "/root"],
            overrides: [("mqtt_port", "1002")])
        #expect(config.mqttPort == 1002)
        #expect(config.httpPort == 2000)
        #expect(config.limits.maxInflight == 6)
    }

    @Test("security keys: rate limits, certificate validity and checkpoints, with their bounds")
    func security() throws {
        let file = try self.writeTOML("[security]\ndevice_messages_per_second = 50\ncertificate_days = 7\naudit_checkpoint_interval = 60\n")
        let config = try ConfigurationLoader.load(
            defaults: ServerConfiguration(), file: file, environment: ["TWINGUARD_SECURITY_DEVICE_BYTES_PER_SECOND": "4096"], overrides: [])
        #expect(config.deviceMessagesPerSecond == 50)
        #expect(config.deviceBytesPerSecond == 4096)
        #expect(config.certificateDays == 7)
        #expect(config.auditCheckpointSeconds == 60)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(
                defaults: ServerConfiguration(), file: nil, environment: ["TWINGUARD_SECURITY_CERTIFICATE_DAYS": "0"], overrides: [])
        }
    }

    @Test("a listener can be turned off")
    func off() throws {
        let config = try ConfigurationLoader.load(
            defaults: ServerConfiguration(), file: nil, environment: ["TWINGUARD_WS_PORT": "off"], overrides: [])
        #expect(config.wsPort == nil)
    }

    @Test("unknown keys and bad values are errors that name them")
    func errors() throws {
        let file = try self.writeTOML("[limits]\nmax_conections = 5\n")
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(defaults: ServerConfiguration(), file: file, environment: [:], overrides: [])
        }
        do {
            _ = try ConfigurationLoader.load(
                defaults: ServerConfiguration(), file: nil, environment: [:], overrides: [("mqtt_port", "70000")])
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("mqtt_port"))
            #expect(error.message.contains("70000"))
        }
        let broken = try self.writeTOML("mqtt_port = = 3\n")
        do {
            _ = try ConfigurationLoader.load(defaults: ServerConfiguration(), file: broken, environment: [:], overrides: [])
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("not valid TOML"))
        }
    }
}
