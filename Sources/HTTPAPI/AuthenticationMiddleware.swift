import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TimeSeries
import TwinGuardCore

/// Establishes who is calling: HTTP Basic credentials, or InfluxDB's `u`/`p` query parameters, checked
/// by the server's ``Authorizer``; anonymous only in development mode (`--allow-anonymous`).
///
/// Influx-compatible routes answer a refusal in Influx's shape, the rest with problem details.
struct AuthenticationMiddleware<Context: PrincipalContext>: RouterMiddleware {
    let authorizer: any Authorizer
    /// Paths that need no credentials (health probes, the OpenAPI document, /ping).
    let publicPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if self.publicPaths.contains(path) { return try await next(request, context) }
        var username: String?
        var password: [UInt8]?
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            username = String(text[..<colon])
            password = Array(text[text.index(after: colon)...].utf8)
        } else if InfluxRoutes.paths.contains(path), let user = FormEncoding.decode(request.uri.query ?? "")["u"] {
            username = user
            password = FormEncoding.decode(request.uri.query ?? "")["p"].map { Array($0.utf8) }
        }
        let credentials = ConnectCredentials(clientID: "http", username: username, password: password, remoteAddress: nil)
        let result: AuthenticationResult
        if let immediate = self.authorizer.authenticateImmediately(credentials) {
            result = immediate
        } else {
            result = await self.authorizer.authenticate(credentials)
        }
        switch result {
        case .accepted(let principal):
            var context = context
            context.principal = principal
            return try await next(request, context)
        case .refused(let failure):
            let reason: String
            switch failure {
            case .anonymousNotAllowed: reason = "authentication required: send HTTP Basic credentials (or u and p for Influx routes)"
            case .badCredentials: reason = "authorization failed: wrong user name or password"
            case .notAuthorized(let why): reason = "authorization failed: \(why)"
            }
            context.logger.notice("http request refused", metadata: ["auth.decision": "deny", "auth.reason": "\(reason)", "http.path": "\(path)"])
            if InfluxRoutes.paths.contains(path) {
                return HTTPJSON.bytes(.unauthorized, InfluxJSON.error(reason), extraHeaders: [.wwwAuthenticate: "Basic realm=\"TwinGuard\""])
            }
            var response = try ProblemDetails(status: .unauthorized, code: "unauthenticated", detail: reason).response(from: request, context: context)
            response.headers[.wwwAuthenticate] = "Basic realm=\"TwinGuard\""
            return response
        }
    }
}
