import TwinGuardCore

/// Errors of the twin layer, with a stable code the API maps to an HTTP status.
public struct TwinError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public var description: String { self.rawValue }
        public static let notFound = Code(rawValue: "not_found")
        public static let alreadyExists = Code(rawValue: "already_exists")
        public static let preconditionFailed = Code(rawValue: "precondition_failed")
        public static let invalid = Code(rawValue: "invalid")
        public static let invalidModel = Code(rawValue: "invalid_model")
        public static let rejectedTelemetry = Code(rawValue: "rejected_telemetry")
        public static let inUse = Code(rawValue: "in_use")
        public static let unavailable = Code(rawValue: "unavailable")
    }

    public let code: Code
    public let message: String
    /// Every problem found, for errors that list several (model validation, telemetry lines).
    public let issues: [Issue]
    public var description: String { self.message }

    /// One problem: where (a JSON path or line number) and what was expected.
    public struct Issue: Sendable, Codable, Equatable {
        public var path: String
        public var message: String

        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    init(_ code: Code, _ message: String, issues: [Issue] = []) {
        self.code = code
        self.message = message
        self.issues = issues
    }

    static func twinNotFound(_ id: String, tenant: TenantID) -> Self {
        Self(.notFound, "No twin '\(id)' in tenant '\(tenant)'; list twins with GET /api/v1/twins.")
    }

    static func modelNotFound(_ id: String, tenant: TenantID) -> Self {
        Self(.notFound, "No model '\(id)' in tenant '\(tenant)'; upload it with POST /api/v1/models first.")
    }

    static func invalidTwinID(_ id: String) -> Self {
        Self(.invalid, "Twin id '\(id.prefix(140))' is not valid: use 1 to 128 characters of A-Z a-z 0-9 . _ : -.")
    }

    static func versionMismatch(_ id: String, expected: String, current: Int64) -> Self {
        Self(.preconditionFailed, "Twin '\(id)' changed: If-Match was \(expected), the current ETag is \"\(current)\"; read it again and retry.")
    }
}
