import Foundation
import Hummingbird
import Identity
import Logging
import Twins

/// An RFC 9457 problem details body (`application/problem+json`) with TwinGuard's stable `code`.
public struct ProblemDetails: Codable, Sendable, Error, HTTPResponseError {
    public var type: String
    public var title: String
    /// The HTTP status code, as in the body.
    public var statusCode: Int
    public var detail: String
    /// A stable machine-readable code, e.g. `not_found`.
    public var code: String
    /// Every problem found, when there are several (each with where and what was expected).
    public var errors: [Issue]?

    /// One of several problems in a request.
    public struct Issue: Codable, Sendable {
        public var path: String
        public var message: String
    }

    public init(status: HTTPResponse.Status, code: String, detail: String) {
        self.type = "https://twinguard.dev/problems/\(code)"
        self.title = status.reasonPhrase
        self.statusCode = status.code
        self.detail = detail
        self.code = code
    }

    private enum CodingKeys: String, CodingKey {
        case type, title, detail, code, errors
        case statusCode = "status"
    }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: self.statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(self)
        return Response(
            status: self.status,
            headers: [.contentType: "application/problem+json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every error a route throws into problem details; a 500 carries only a request id.
struct ProblemDetailsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The declared routes: a known path with an undeclared method answers 405 with `Allow`.
    let routes: RouteCatalog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let problem as ProblemDetails {
            throw problem
        } catch let error as TwinError {
            throw error.problem
        } catch let error as IdentityError {
            throw error.problem
        } catch let error as any IdentityErrorConvertible {
            throw error.identityError.problem
        } catch let error as HTTPError where error.status == .notFound && self.routes.allowedMethods(request.uri.path) != nil {
            let allowed = (self.routes.allowedMethods(request.uri.path) ?? []).map(\.rawValue)
            var response = try ProblemDetails(
                status: .methodNotAllowed, code: "method_not_allowed",
                detail: "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: ", "))."
            ).response(from: request, context: context)
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        } catch let error as HTTPError {
            let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            let detail =
                error.status == .notFound
                ? "No resource at \(request.uri.path); the API lives under /api/v1 and is described at /openapi.json."
                : (error.body ?? error.status.reasonPhrase)
            throw ProblemDetails(status: error.status, code: code, detail: detail)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            throw ProblemDetails(
                status: .internalServerError, code: "internal_error",
                detail: "The server failed on this request; quote request id \(context.id) when reporting it.")
        }
    }
}
