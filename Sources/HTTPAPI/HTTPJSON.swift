import Foundation
import Hummingbird
import NIOCore
import TimeSeries
import Twins

/// Small helpers to answer JSON.
enum HTTPJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func encode(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try Self.encoder.encode(value))))
    }

    static func bytes(_ status: HTTPResponse.Status, _ body: [UInt8], extraHeaders: HTTPFields = [:]) -> Response {
        var fields = extraHeaders
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Reads a request body up to `limit` bytes, or answers 413.
    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is HTTPError {
            throw Self.tooLarge(limit)
        } catch is NIOTooManyBytesError {
            // A body without Content-Length (chunked) is cut while it streams in: the same 413.
            throw Self.tooLarge(limit)
        }
    }

    /// The 413 for a body over `limit` bytes.
    static func tooLarge(_ limit: Int) -> ProblemDetails {
        let size = limit >= 1_048_576 ? "\(limit / 1_048_576) MiB" : "\(limit / 1024) KiB"
        return ProblemDetails(status: .contentTooLarge, code: "body_too_large", detail: "The request body is larger than \(size).")
    }

    /// Decodes a JSON body, answering 400 with what was wrong.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ProblemDetails(status: .badRequest, code: "invalid_body", detail: "Bad \(what) at \(Self.path(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ProblemDetails(status: .badRequest, code: "invalid_body", detail: "Bad \(what): '\(key.stringValue)' is required at \(Self.path(context.codingPath + [key])).")
        } catch {
            throw ProblemDetails(status: .badRequest, code: "invalid_body", detail: "The \(what) is not valid JSON.")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        "$" + keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}

extension TwinError {
    /// The problem details this error becomes.
    var problem: ProblemDetails {
        let status: HTTPResponse.Status
        switch self.code {
        case .notFound: status = .notFound
        case .alreadyExists, .inUse: status = .conflict
        case .preconditionFailed: status = .preconditionFailed
        case .invalidModel, .invalid, .rejectedTelemetry: status = .unprocessableContent
        case .unavailable: status = .serviceUnavailable
        default: status = .badRequest
        }
        var problem = ProblemDetails(status: status, code: self.code.rawValue, detail: self.message)
        if !self.issues.isEmpty { problem.errors = self.issues.map { ProblemDetails.Issue(path: $0.path, message: $0.message) } }
        return problem
    }
}
