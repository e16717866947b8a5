import Analytics
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Identity
import Logging
import NIOCore
import TimeSeries
import TwinGuardCore
import Twins

/// What the HTTP API needs from the rest of the server.
public struct HTTPAPIDependencies: Sendable {
    /// Whether the server is ready for traffic (store open, listeners bound): drives `/readyz`.
    public var isReady: @Sendable () -> Bool
    /// Decides who is calling (HTTP Basic, or Influx's `u`/`p`).
    public var authorizer: any Authorizer
    public var registry: TwinRegistry
    public var ingestor: TelemetryIngestor
    public var timeSeries: TimeSeriesStore
    public var commands: CommandCenter
    /// The downsampling tiers of a tenant (InfluxQL retention policies).
    public var tiers: @Sendable (TenantID) -> [DownsampleTier]
    /// The Prometheus exposition text for `/metrics`.
    public var metrics: @Sendable () -> String
    /// Certificates, enrollment, users and the audit log.
    public var identity: IdentityService
    /// Live analytics: recent anomalies per twin, alerts.
    public var analytics: TelemetryWatch
    /// Webhook subscriptions.
    public var webhooks: any WebhookDirectory
    /// The credential `serve` writes to `DATA/run/admin.json` for the command line (a bearer token).
    public var localAdminToken: String?
    /// Who may read `/metrics` besides the local administrator and the installation's own administrators.
    public var metricsAccess = MetricsAccess()
    /// Live streams open per principal and in all (SSE and WebSocket alike).
    public var streams = StreamAdmission()
    /// Where passwords and tokens may come unencrypted (by default only from loopback).
    public var plaintext = PlaintextCredentialPolicy()
    /// The verified client certificate of an HTTPS connection, if the client sent one.
    public var peerCertificate: @Sendable (any Channel) async -> ClientCertificate?

    public init(
        isReady: @escaping @Sendable () -> Bool, authorizer: any Authorizer, registry: TwinRegistry, ingestor: TelemetryIngestor,
        timeSeries: TimeSeriesStore, commands: CommandCenter, tiers: @escaping @Sendable (TenantID) -> [DownsampleTier],
        metrics: @escaping @Sendable () -> String, identity: IdentityService, analytics: TelemetryWatch, webhooks: any WebhookDirectory,
        localAdminToken: String?,
        peerCertificate: @escaping @Sendable (any Channel) async -> ClientCertificate?
    ) {
        self.identity = identity
        self.analytics = analytics
        self.webhooks = webhooks
        self.localAdminToken = localAdminToken
        self.peerCertificate = peerCertificate
        self.commands = commands
        self.tiers = tiers
        self.isReady = isReady
        self.authorizer = authorizer
        self.registry = registry
        self.ingestor = ingestor
        self.timeSeries = timeSeries
        self.metrics = metrics
    }

    /// An InfluxQL executor that shows `principal` only its own tenant.
    func influxExecutor(_ principal: Principal) -> InfluxQLExecutor {
        let registry = self.registry
        var executor = InfluxQLExecutor(store: self.timeSeries) {
            registry.tenants().map(\.id).filter { principal.spansTenants || $0 == principal.tenant }.map(\.rawValue)
        }
        executor.tiers = self.tiers
        return executor
    }

    /// The `site` tag of a twin, which users limited to sites are checked against.
    func site(of twin: String, tenant: TenantID) -> String? {
        (try? self.registry.twin(twin, tenant: tenant))?.tags["site"]
    }

    /// Whether `principal` may see `twin` (always, unless the principal is limited to sites).
    func visible(_ twin: String, to principal: Principal) -> Bool {
        principal.sites == nil || principal.mayAccess(site: self.site(of: twin, tenant: principal.tenant))
    }

    /// The event filter of a stream, limited to the twins `principal` may see.
    func eventFilter(_ principal: Principal, twin: String?, kinds: [String]) -> EventHub.Filter {
        guard principal.sites != nil else { return EventHub.Filter(tenant: principal.tenant, twin: twin, kinds: kinds) }
        let registry = self.registry
        return EventHub.Filter(tenant: principal.tenant, twin: twin, kinds: kinds) { id in
            principal.mayAccess(site: (try? registry.twin(id, tenant: principal.tenant))?.tags["site"])
        }
    }

    /// The JSON form of a twin.
    func document(_ twin: Twin) -> TwinDocument {
        TwinDocument(twin: twin, telemetry: self.lastTelemetry(twin), online: self.registry.isOnline(twin.id, tenant: twin.tenant))
    }

    /// The newest value of every telemetry field of a twin.
    func lastTelemetry(_ twin: Twin) -> [String: TelemetrySample] {
        var result: [String: (Int64, FieldValue)] = [:]
        for series in self.timeSeries.series(tenant: twin.tenant, tagged: twin.id) {
            for column in series.columns {
                guard let last = self.timeSeries.last(column: column.id) else { continue }
                if let known = result[column.field], known.0 > last.timestamp { continue }
                result[column.field] = (last.timestamp, last.value)
            }
        }
        return result.mapValues { TelemetrySample(time: $0.0, value: $0.1) }
    }
}

/// Builds the HTTP API application: health probes, twins, models, telemetry, the Influx-compatible
/// endpoints and metrics.
public enum HTTPAPIServer {
    /// Creates the Hummingbird application.
    /// - Parameters:
    ///   - host: bind address.
    ///   - port: port; 0 picks a free one.
    ///   - group: the event loops shared with MQTT.
    ///   - dependencies: what the routes read.
    ///   - logger: label `twinguard.http`.
    ///   - onListening: called with the bound port once the server accepts requests.
    public static func makeApplication(
        host: String, port: Int, group: any EventLoopGroup, dependencies: HTTPAPIDependencies, logger: Logger,
        secure: ((HTTPServerBuilder) throws -> HTTPServerBuilder)? = nil,
        onListening: @escaping @Sendable (Int) -> Void
    ) throws -> some ApplicationProtocol {
        let encrypted = secure != nil
        let router = Self.makeRouter(dependencies, encrypted: encrypted)
        let server = HTTPServerBuilder.http1WebSocketUpgrade(webSocketRouter: WebSocketStreams.makeRouter(dependencies, encrypted: encrypted))
        return Application(
            router: router,
            server: try secure.map { try $0(server) } ?? server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "TwinGuard"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            eventLoopGroupProvider: .shared(group),
            logger: logger)
    }

    /// The router with every route of ``APIRoutes/api`` (public for tests that drive it without a socket).
    /// - Parameter encrypted: whether the listener is HTTPS (credentials over plain HTTP only from loopback).
    public static func makeRouter(_ dependencies: HTTPAPIDependencies, encrypted: Bool = false) -> Router<APIRequestContext> {
        let routes = APIRoutes.api
        let catalog = routes.catalog
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ProblemDetailsMiddleware(routes: catalog))
        router.add(middleware: AuthenticationMiddleware(dependencies, routes: catalog, encrypted: encrypted))
        routes.install(on: router, dependencies: dependencies)
        return router
    }
}
