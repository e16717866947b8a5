import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Identity
import Logging
import NIOCore
import TwinGuardCore
import Twins

/// The request context of WebSocket upgrades: who is calling, and Hummingbird's WebSocket handle.
public struct StreamSocketContext: PrincipalContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public var principal: Principal?
    public let channel: any Channel

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.principal = nil
        self.channel = source.channel
    }
}

/// Live streams over WebSocket, with the same events and filters as the SSE routes:
/// `GET /api/v1/twins/{id}/ws` and `GET /api/v1/events/ws` (`?kinds=`, `?twin=`). Each event is one text
/// frame of JSON (`kind`, `twin`, `time`, `data`). The server only sends; the stream ends when the
/// client closes or the server shuts down.
enum WebSocketStreams {
    /// One twin's events.
    static let twinStream = APIRoutes.Route(
        method: .get, path: "/api/v1/twins/{id}/ws", access: .needs(.read, sites: .twin(parameter: "id")), documented: true)
    /// The tenant's event feed.
    static let eventStream = APIRoutes.Route(
        method: .get, path: "/api/v1/events/ws", access: .needs(.read, sites: .filtered), documented: true)
    /// Both, for ``AuthenticationMiddleware`` and the OpenAPI comparison.
    static let routes = [Self.twinStream, Self.eventStream]

    static func makeRouter(_ dependencies: HTTPAPIDependencies, encrypted: Bool) -> Router<StreamSocketContext> {
        let router = Router(context: StreamSocketContext.self)
        router.add(middleware: AuthenticationMiddleware(dependencies, routes: RouteCatalog(Self.routes), encrypted: encrypted))
        router.ws(RouterPath(Self.twinStream.path)) { request, context in
            guard let principal = context.principal, let id = context.parameters.get("id"),
                (try? dependencies.registry.twin(id, tenant: principal.tenant)) != nil
            else { return .dontUpgrade }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let principal = context.requestContext.principal, let id = context.requestContext.parameters.get("id") else { return }
            let filter = dependencies.eventFilter(principal, twin: id, kinds: Self.kinds(context.request))
            try await Self.pump(filter, principal, dependencies, inbound: inbound, outbound: outbound)
        }
        router.ws(RouterPath(Self.eventStream.path)) { _, context in
            context.principal == nil ? .dontUpgrade : .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let principal = context.requestContext.principal else { return }
            let filter = dependencies.eventFilter(principal, twin: context.request.form["twin"], kinds: Self.kinds(context.request))
            try await Self.pump(filter, principal, dependencies, inbound: inbound, outbound: outbound)
        }
        return router
    }

    private static func kinds(_ request: Request) -> [String] {
        (request.form["kinds"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Sends events until the stream ends or the client goes away (its close frame or a lost socket).
    private static func pump(
        _ filter: EventHub.Filter, _ principal: Principal, _ dependencies: HTTPAPIDependencies, inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter
    ) async throws {
        let admission = dependencies.streams
        guard let ticket = admission.admit(principal) else {
            // One frame that says why, then the close.
            try await outbound.write(.text("{\"error\":\"too_many_streams\",\"detail\":\"\(admission.refusal)\"}"))
            return
        }
        defer { ticket.release() }
        // Subscribed only once admitted: a refused stream costs the hub nothing.
        let events = dependencies.registry.events.subscribe(filter)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Drain what the client sends; when it closes, the stream is over.
                for try await _ in inbound {}
            }
            group.addTask {
                for await event in events {
                    let data = (try? encoder.encode(event)) ?? Data("{}".utf8)
                    try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
