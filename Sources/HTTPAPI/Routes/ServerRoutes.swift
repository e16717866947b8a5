import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The server's own routes: health probes (`/healthz`, `/readyz`), the OpenAPI document and `/metrics`.
struct ServerRoutes: RouteSet {
    let dependencies: HTTPAPIDependencies

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.get("/healthz", .anyone) { _, _, _ in Self.json(.ok, ["status": "ok"]) }
        api.get("/readyz", .anyone) { routes, _, _ in
            routes.dependencies.isReady() ? Self.json(.ok, ["status": "ready"]) : Self.json(.serviceUnavailable, ["status": "starting"])
        }
        api.get("/openapi.json", .anyone) { _, _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        api.get("/metrics", .metricsReaders) { routes, _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: routes.dependencies.metrics())))
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
