import Foundation
import Hummingbird
import Logging
import NIOCore

/// What the HTTP API needs from the rest of the server.
public struct HTTPAPIDependencies: Sendable {
    /// Whether the server is ready for traffic (store open, listeners bound): drives `/readyz`.
    public var isReady: @Sendable () -> Bool

    public init(isReady: @escaping @Sendable () -> Bool) {
        self.isReady = isReady
    }
}

/// Builds the HTTP API application: health probes now, the REST API as later issues add it.
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
        onListening: @escaping @Sendable (Int) -> Void
    ) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: ProblemDetailsMiddleware())
        router.get("healthz") { _, _ -> Response in
            Self.json(.ok, ["status": "ok"])
        }
        router.get("readyz") { _, _ -> Response in
            dependencies.isReady()
                ? Self.json(.ok, ["status": "ready"])
                : Self.json(.serviceUnavailable, ["status": "starting"])
        }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "TwinGuard"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            eventLoopGroupProvider: .shared(group),
            logger: logger)
    }

    private static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
