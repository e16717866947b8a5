import AsyncAlgorithms
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TwinGuardCore
import Twins

/// Live streams as Server-Sent Events: `GET /api/v1/twins/{id}/stream` (one twin's state changes and
/// telemetry) and `GET /api/v1/events/stream` (the tenant's event feed), both filtered by `?kinds=`
/// (comma-separated prefixes: `telemetry`, `reported`, `desired`, `presence`, `twin`, `command`) and
/// the feed also by `?twin=`. A comment line every 15 s keeps proxies from closing idle streams.
struct StreamRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies
    /// How often an idle stream gets a comment line, so that proxies keep it open.
    static let keepAliveInterval = Duration.seconds(15)

    /// What a stream writes next.
    private enum StreamItem: Sendable {
        case event(TwinEvent)
        case keepAlive
        case end
    }

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.stream("/api/v1/twins/{id}/stream", .needs(.read, sites: .twin(parameter: "id"))) { routes, request, context in
            let principal = try context.requirePrincipal()
            let id = try context.parameters.require("id")
            _ = try routes.dependencies.registry.twin(id, tenant: principal.tenant)
            return try routes.stream(routes.dependencies.eventFilter(principal, twin: id, kinds: Self.kinds(request)), principal, context)
        }
        api.stream("/api/v1/events/stream", .needs(.read, sites: .filtered)) { routes, request, context in
            let principal = try context.requirePrincipal()
            return try routes.stream(
                routes.dependencies.eventFilter(principal, twin: request.form["twin"], kinds: Self.kinds(request)), principal, context)
        }
    }

    private static func kinds(_ request: Request) -> [String] {
        (request.form["kinds"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private func stream(_ filter: EventHub.Filter, _ principal: Principal, _ context: APIRequestContext) throws -> Response {
        let admission = self.dependencies.streams
        guard let ticket = admission.admit(principal) else {
            throw ProblemDetails(status: .tooManyRequests, code: "too_many_streams", detail: admission.refusal)
        }
        // The place is free as soon as the client goes, not only at the next keep-alive that fails to write.
        context.channel.closeFuture.whenComplete { _ in ticket.release() }
        let events = self.dependencies.registry.events.subscribe(filter)
        let body = ResponseBody { writer in
            defer { ticket.release() }
            try await writer.write(ByteBuffer(string: ": connected\n\n"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var sequence = 0
            // The events, then a mark when their stream ends (at shutdown), interleaved with keep-alive ticks.
            let feed = chain(events.map { StreamItem.event($0) }, [StreamItem.end].async)
            let ticks = AsyncTimerSequence.repeating(every: Self.keepAliveInterval).map { _ in StreamItem.keepAlive }
            loop: for await item in merge(feed, ticks) {
                switch item {
                case .event(let event):
                    sequence += 1
                    let data = (try? encoder.encode(event)) ?? Data("{}".utf8)
                    try await writer.write(ByteBuffer(string: "id: \(sequence)\nevent: \(event.kind)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                case .keepAlive:
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                case .end:
                    break loop
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: body)
    }
}
