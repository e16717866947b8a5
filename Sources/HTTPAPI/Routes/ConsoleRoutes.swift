import Console
import HTTPTypes
import Hummingbird
import NIOCore

/// The web console: `GET /` (and `/setup`, the first administrator's page) answer with the single page,
/// `GET /assets/{path}` with its scripts and style sheet. None needs credentials: the page logs in through
/// `POST /api/v1/login`. A strict Content-Security-Policy allows only this origin's scripts and styles.
struct ConsoleRoutes: RouteSet {
    /// Paths the console answers that need no credentials, besides everything under ``assetPrefix``.
    static let publicPaths = ["/", "/setup"]
    /// The console's files (an unknown one is a 404, not a request for credentials).
    static let assetPrefix = "/assets/"

    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    init(dependencies: HTTPAPIDependencies) {}

    static func declare(_ api: inout APIRoutes.Declarations<Self>) {
        api.get("/", .anyone, documented: false) { _, request, _ in Self.serve(ConsoleAssets.page, request) }
        api.get("/setup", .anyone, documented: false) { _, request, _ in Self.serve(ConsoleAssets.page, request) }
        api.get("/assets/**", .anyone, documented: false) { _, request, _ in
            let path = String(request.uri.path.dropFirst("/assets/".count))
            guard let asset = ConsoleAssets.asset(path) else {
                throw ProblemDetails(status: .notFound, code: "not_found", detail: "No console file '\(path.prefix(120))'.")
            }
            return Self.serve(asset, request)
        }
    }

    /// The asset, or 304 when the browser's copy (`If-None-Match`) is current.
    private static func serve(_ asset: ConsoleAsset, _ request: Request) -> Response {
        var headers = Self.securityHeaders
        headers[.eTag] = asset.etag
        // Revalidate every time: a new binary may bring new files under the same names.
        headers[.cacheControl] = "no-cache"
        if request.headers[.ifNoneMatch] == asset.etag {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: asset.text)))
    }
}
