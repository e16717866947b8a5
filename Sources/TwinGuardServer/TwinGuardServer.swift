import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTLS
import Identity
import NIOSSL
import Logging
import MQTT
import MQTTCodec
import NIOCore
import NIOPosix
import ServiceLifecycle
import Storage
import TimeSeries
import TwinGuardCore
import Twins
import UnixSignals

/// The composition root: picks implementations for the Core protocols, wires the modules and returns
/// the services that make up a running server.
public struct TwinGuardServer: Sendable {
    /// The version printed by `twinguard --version` and in `$SYS/broker/version`.
    public static let version = "0.1.0"

    public let configuration: ServerConfiguration
    public let broker: Broker
    public let store: SQLiteStore
    public let timeSeries: TimeSeriesStore
    /// The HTTP port once the HTTP server listens.
    public let httpPort: BoundPort
    /// The HTTPS port once the HTTPS server listens.
    public let httpsPort: BoundPort
    public let registry: TwinRegistry
    /// The broker's listeners, to read the ports they bound.
    public let mqttServer: MQTTServer
    /// Certificates, enrollment, users, trust tiers and the audit log.
    public let identity: IdentityService
    /// The plain MQTT listener once bound (``run(extraServices:)`` binds before any service starts).
    public var mqttListener: BoundListener? {
        self.mqttServer.boundListeners.first { $0.name == "mqtt" }
    }

    /// The event loops of MQTT and HTTP, owned by the server and shut down when it stops.
    let eventLoops: MultiThreadedEventLoopGroup
    let services: [any Service]
    let logger: Logger
    /// Held for the server's life: no second server on the same data dir.
    let lock: DataDirectoryLock
    /// `DATA/run/admin.json`, removed at shutdown.
    let adminFile: AdminFile

    /// Builds a server: prepares the data dir, opens and migrates the store, restores broker state.
    /// Nothing listens until ``run()``.
    /// - Parameters:
    ///   - configuration: the merged configuration.
    ///   - developmentAccess: anonymous access and demo credentials, consulted after certificates and users.
    ///   - announcer: prints each listener's address.
    /// - Throws: ``DataDirectoryError``, ``StorageError``, ``CertificateAuthorityError``.
    public static func build(
        configuration: ServerConfiguration, developmentAccess: AccessPolicy, announcer: ListenerAnnouncer,
        logger: Logger
    ) async throws -> TwinGuardServer {
        try DataDirectory.prepare(configuration.dataDir)
        let lock = try DataDirectoryLock.acquire(configuration.dataDir)
        let store = try SQLiteStore(path: configuration.databasePath)
        var identityLogger = logger
        identityLogger[metadataKey: "component"] = "identity"
        let identity = try await IdentityService(
            pkiDirectory: configuration.pkiPath, store: store, certificateValidity: TimeInterval(configuration.certificateDays) * 86_400,
            rateLimits: RateLimits(
                messagesPerSecond: Double(configuration.deviceMessagesPerSecond), bytesPerSecond: Double(configuration.deviceBytesPerSecond)),
            logger: identityLogger)
        let plaintext = PlaintextCredentialPolicy(allowsRemotePlaintext: configuration.allowPlaintextPasswords)
        let authorizer = IdentityAuthorizer(identity: identity, fallback: developmentAccess, plaintext: plaintext)
        let tls = try TLSSettings.make(identity: identity, pkiDirectory: configuration.pkiPath, bind: configuration.bind, logger: identityLogger)
        var brokerLogger = logger
        brokerLogger[metadataKey: "component"] = "mqtt"
        let broker = Broker(limits: configuration.limits, authorizer: authorizer, logger: brokerLogger)
        let snapshot = try await store.loadBrokerState()
        broker.restore(snapshot)
        logger.info(
            "broker state restored",
            metadata: ["retained.count": "\(snapshot.retained.count)", "sessions.count": "\(snapshot.sessions.count)"])
        var telemetryLogger = logger
        telemetryLogger[metadataKey: "component"] = "telemetry"
        let policy = TelemetryPolicy(
            defaultRetention: configuration.retentionSeconds > 0 ? Int64(configuration.retentionSeconds * 1e9) : nil,
            defaultTiers: configuration.tiers)
        var options = TimeSeriesStore.Options(directory: configuration.telemetryPath)
        options.retention = { policy.retention($0) }
        options.maximumSeriesPerTenant = configuration.maximumSeriesPerTenant
        let timeSeries = try TimeSeriesStore(options: options, logger: telemetryLogger)
        let channel = DeviceChannel(
            publish: { tenant, topic, payload, retain in
                broker.publishInternal(topic: topic, payload: payload, qos: .atLeastOnce, retain: retain, tenant: tenant)
            },
            request: { tenant, topic, payload, responseTopic, correlation in
                broker.publishInternal(
                    topic: topic, payload: payload, qos: .atLeastOnce, retain: false, tenant: tenant, responseTopic: responseTopic,
                    correlationData: correlation)
            })
        let registry = try await TwinRegistry.load(store: store, timeSeries: timeSeries, deviceChannel: channel, logger: telemetryLogger)
        policy.attach(registry)
        var analyticsLogger = logger
        analyticsLogger[metadataKey: "component"] = "analytics"
        let webhooks = try WebhookNotifier(
            dataDir: configuration.dataDir, logger: analyticsLogger,
            addressPolicy: WebhookAddressPolicy(allowPrivateAddresses: configuration.webhooksAllowPrivateAddresses))
        let anomalies = try AnalyticsService.makeWatch(registry: registry, identity: identity, webhooks: webhooks, configuration: configuration)
        let ingestor = TelemetryIngestor(registry: registry, timeSeries: timeSeries, observer: anomalies)
        let commands = CommandCenter(registry: registry)
        broker.setDeviceMessageHandler(
            PlatformDeviceMessages(twins: DeviceTopics(ingestor: ingestor, registry: registry, commands: commands), identity: identity))
        identity.attach(connections: broker, twins: registry, events: registry.events)
        let metrics = MetricsExposition(broker: broker, ingestor: ingestor, timeSeries: timeSeries, anomalies: anomalies, webhooks: webhooks)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.resolvedEventLoopThreads)
        let listeners = try Self.listeners(configuration, tls: tls)
        Self.announcePlaintext(configuration, announcer: announcer)
        let mqttServer = MQTTServer(
            broker: broker, listeners: listeners, group: group,
            onBound: { announcer.announce($0.name, host: $0.host, port: $0.port) })
        let expectedListeners = listeners.count
        // Services stop in reverse order: telemetry, first in the list, is saved after the listeners closed.
        var services: [any Service] = [
            TelemetryService(
                timeSeries: timeSeries, registry: registry, checkpointInterval: .seconds(configuration.checkpointIntervalSeconds),
                checkpointPoints: 2_000_000, tiers: { policy.tiers($0) }, logger: telemetryLogger),
            BrokerPersistenceService(
                broker: broker, store: store, interval: .seconds(configuration.persistIntervalSeconds), logger: logger),
            AuditCheckpointService(identity: identity, interval: .seconds(configuration.auditCheckpointSeconds), logger: identityLogger),
            try AnalyticsService(watch: anomalies, dataDir: configuration.dataDir, logger: analyticsLogger),
            webhooks,
            mqttServer,
            SystemTopicsService(broker: broker, interval: .seconds(configuration.sysIntervalSeconds), version: Self.version),
        ]
        let httpPort = BoundPort()
        let httpsPort = BoundPort()
        let adminFile = AdminFile(dataDir: configuration.dataDir)
        let setupToken = identity.prepareFirstAdminSetup()
        var httpLogger = logger
        httpLogger[metadataKey: "component"] = "http"
        let host = configuration.bind
        var dependencies = HTTPAPIDependencies(
            isReady: { mqttServer.boundListeners.count == expectedListeners }, authorizer: authorizer, registry: registry,
            ingestor: ingestor, timeSeries: timeSeries, commands: commands, tiers: { policy.tiers($0) },
            metrics: { metrics.render() }, identity: identity, analytics: anomalies, webhooks: webhooks, localAdminToken: adminFile.token,
            peerCertificate: { channel in tls.clientCertificate(try? await channel.nioSSL_peerCertificate().get()) })
        dependencies.plaintext = plaintext
        dependencies.metricsAccess = MetricsAccess(
            isPublic: configuration.publicMetrics, token: try MetricsToken.load(dataDir: configuration.dataDir))
        if let configuredHTTPPort = configuration.httpPort {
            services.append(
                try HTTPAPIServer.makeApplication(
                    host: host, port: configuredHTTPPort, group: group, dependencies: dependencies, logger: httpLogger,
                    onListening: { port in
                        httpPort.set(port)
                        adminFile.publish(url: "http://\(Self.loopback(host)):\(port)", logger: logger)
                        announcer.announce("http", host: host, port: port)
                        // Unless a user was made meanwhile (the demo makes its console login before listening).
                        if let setupToken, identity.users().isEmpty {
                            Self.announceSetup(setupToken, url: "http://\(Self.loopback(host)):\(port)", announcer: announcer)
                        }
                    }))
        }
        if let configuredHTTPSPort = configuration.httpsPort {
            let tlsConfiguration = TLSChannelConfiguration(
                tlsConfiguration: tls.configuration(requireClientCertificate: false),
                customVerificationCallback: { chain, promise in promise.succeed(tls.verify(chain, listener: "https", remote: nil)) })
            services.append(
                try HTTPAPIServer.makeApplication(
                    host: host, port: configuredHTTPSPort, group: group, dependencies: dependencies, logger: httpLogger,
                    secure: { try .tls($0, configuration: tlsConfiguration) },
                    onListening: { port in
                        httpsPort.set(port)
                        if configuration.httpPort == nil {
                            adminFile.publish(url: "https://\(Self.loopback(host)):\(port)", logger: logger)
                        }
                        announcer.announce("https", host: host, port: port)
                    }))
        }
        if configuration.httpPort != nil || configuration.httpsPort != nil {
            services.append(EventStreamsService(events: registry.events))
        }
        return TwinGuardServer(
            configuration: configuration, broker: broker, store: store, timeSeries: timeSeries, httpPort: httpPort, httpsPort: httpsPort,
            registry: registry,
            mqttServer: mqttServer, identity: identity, eventLoops: group,
            services: services, logger: logger, lock: lock, adminFile: adminFile)
    }

    /// Says first what listens without TLS, and what that means for passwords and tokens.
    static func announcePlaintext(_ configuration: ServerConfiguration, announcer: ListenerAnnouncer) {
        let plain = [("mqtt", configuration.mqttPort), ("ws", configuration.wsPort), ("http", configuration.httpPort)]
            .compactMap { name, port in port.map { "\(name) port \($0 == 0 ? "(any free)" : String($0))" } }
        guard !plain.isEmpty else { return }
        let credentials =
            configuration.allowPlaintextPasswords
            ? "passwords and tokens are accepted on them from anywhere (security.allow_plaintext_passwords)"
            : "passwords and tokens are accepted on them only from this machine; use mqtts, wss or https from elsewhere"
        announcer.line("plaintext (no TLS) on \(configuration.bind): \(plain.joined(separator: ", ")); \(credentials)")
    }

    /// Tells the operator how to create the first administrator: there is no default password.
    static func announceSetup(_ token: String, url: String, announcer: ListenerAnnouncer) {
        announcer.line("no user exists yet: create the first administrator within 24 h with this one-time setup token")
        announcer.line("  \(url)/setup?token=\(token)")
        announcer.line("  or: curl -X POST \(url)/api/v1/setup -H 'Content-Type: application/json' \\")
        announcer.line("        -d '{\"token\": \"\(token)\", \"name\": \"admin\", \"password\": \"<12 characters or more>\"}'")
        announcer.line("  or: twinguard user add NAME --role admin --password-stdin (on this machine)")
    }

    /// The address the local command line reaches a listener bound to `host` at.
    static func loopback(_ host: String) -> String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::": "[::1]"
        default: host.contains(":") ? "[\(host)]" : host
        }
    }

    /// The broker listeners the configuration asks for.
    static func listeners(_ configuration: ServerConfiguration, tls: TLSSettings) throws -> [ListenerConfiguration] {
        var listeners: [ListenerConfiguration] = []
        if let port = configuration.mqttPort {
            listeners.append(ListenerConfiguration(name: "mqtt", host: configuration.bind, port: port, transport: .tcp))
        }
        if let port = configuration.wsPort {
            listeners.append(
                ListenerConfiguration(name: "ws", host: configuration.bind, port: port, transport: .webSocket(path: "/")))
        }
        if let port = configuration.mqttsPort {
            listeners.append(
                ListenerConfiguration(
                    name: "mqtts", host: configuration.bind, port: port, transport: .tcp,
                    security: try MutualTLSListenerSecurity(settings: tls, listener: "mqtts", requireClientCertificate: false)))
        }
        if let port = configuration.wssPort {
            listeners.append(
                ListenerConfiguration(
                    name: "wss", host: configuration.bind, port: port, transport: .webSocket(path: "/"),
                    security: try MutualTLSListenerSecurity(settings: tls, listener: "wss", requireClientCertificate: false)))
        }
        return listeners
    }

    /// Runs until SIGINT or SIGTERM, then shuts down in order: HTTP, broker listeners and clients,
    /// and last a final flush of broker state.
    ///
    /// Signals are trapped before any listener opens (and its address is printed), so a signal sent as
    /// soon as the address appears still shuts down cleanly.
    /// - Parameter extraServices: services that run beside the server (the demo fleet).
    public func run(extraServices: [any Service] = []) async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        try await self.mqttServer.bind()
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: (self.services + extraServices).map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                logger: self.logger))
        let logger = self.logger
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await signal in signals {
                    logger.info("shutting down", metadata: ["signal": "\(signal)"])
                    await group.triggerGracefulShutdown()
                }
            }
            try await group.run()
            tasks.cancelAll()
        }
        self.adminFile.remove()
        try await self.eventLoops.shutdownGracefully()
        do {
            try self.store.close()
        } catch {
            self.logger.warning("database not closed cleanly", metadata: ["error": "\(error)"])
        }
    }
}
