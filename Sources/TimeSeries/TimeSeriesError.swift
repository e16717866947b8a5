/// Errors of the time-series engine, with a stable code and a message for users.
public struct TimeSeriesError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { self.name }
        public static let corruptChunk = Code(name: "corrupt_chunk")
        public static let fieldTypeConflict = Code(name: "field_type_conflict")
        public static let io = Code(name: "io")
        public static let closed = Code(name: "closed")
        public static let invalidQuery = Code(name: "invalid_query")
        public static let seriesLimit = Code(name: "series_limit")
    }

    public let code: Code
    public let message: String
    public var description: String { self.message }

    static func corruptChunk(_ what: String) -> Self {
        Self(code: .corruptChunk, message: "Stored telemetry is damaged (\(what)).")
    }

    static func io(_ operation: String, path: String, errno: Int32) -> Self {
        Self(code: .io, message: "Could not \(operation) '\(path)': \(String(cString: strerror(errno))).")
    }

    static let closed = Self(code: .closed, message: "The telemetry store is shutting down; retry against the restarted server.")

    static func fieldTypeConflict(field: String, stored: String, got: String) -> Self {
        Self(
            code: .fieldTypeConflict,
            message: "field type conflict: field '\(field)' is stored as \(stored), this point has \(got)")
    }

    static func seriesLimit(_ limit: Int, tenant: TenantID) -> Self {
        Self(
            code: .seriesLimit,
            message: "max-series-per-database limit exceeded: (\(limit)) in tenant '\(tenant)'; drop unused tag values or raise telemetry.max_series_per_tenant")
    }

    public static func invalidQuery(_ message: String) -> Self {
        Self(code: .invalidQuery, message: message)
    }
}

import TwinGuardCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
