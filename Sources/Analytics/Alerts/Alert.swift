import TwinGuardCore

/// An alert raised by a rule on a twin's field: open until acknowledged, closed when resolved. While it
/// is not resolved, further violations of the same rule on the same twin count against it instead of
/// raising new alerts (de-duplication).
public struct Alert: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case open, acknowledged, resolved
    }

    public var id: String
    public var tenant: TenantID
    public var twin: String
    public var field: String
    public var rule: String
    public var kind: AlertRuleKind
    public var severity: String
    public var status: Status
    /// Whether the rule's condition holds now.
    public var active: Bool
    public var message: String
    /// The value (or rate) that fired it, and the latest one.
    public var value: Double?
    public var lastValue: Double?
    /// Times the condition started while this alert was unresolved.
    public var occurrences: Int
    public var firedAt: Int64
    public var clearedAt: Int64?
    public var acknowledgedAt: Int64?
    public var acknowledgedBy: String?
    public var resolvedAt: Int64?
    public var resolvedBy: String?
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case id, tenant, twin, field, rule, kind, severity, status, active, message, value, lastValue, occurrences, firedAt, clearedAt,
            acknowledgedAt, acknowledgedBy, resolvedAt, resolvedBy, note
    }

    /// Reads an alert as ``encode(to:)`` wrote it (the saved alerts of a restart).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ key: CodingKeys) throws -> Int64? {
            guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let time = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an RFC 3339 time")
            }
            return time
        }
        self.id = try container.decode(String.self, forKey: .id)
        self.tenant = try container.decodeIfPresent(TenantID.self, forKey: .tenant) ?? TenantID(unchecked: "default")
        self.twin = try container.decode(String.self, forKey: .twin)
        self.field = try container.decode(String.self, forKey: .field)
        self.rule = try container.decode(String.self, forKey: .rule)
        self.kind = try container.decode(AlertRuleKind.self, forKey: .kind)
        self.severity = try container.decode(String.self, forKey: .severity)
        self.status = try container.decode(Status.self, forKey: .status)
        self.active = try container.decode(Bool.self, forKey: .active)
        self.message = try container.decode(String.self, forKey: .message)
        self.value = try container.decodeIfPresent(Double.self, forKey: .value)
        self.lastValue = try container.decodeIfPresent(Double.self, forKey: .lastValue)
        self.occurrences = try container.decode(Int.self, forKey: .occurrences)
        self.firedAt = try time(.firedAt) ?? 0
        self.clearedAt = try time(.clearedAt)
        self.acknowledgedAt = try time(.acknowledgedAt)
        self.acknowledgedBy = try container.decodeIfPresent(String.self, forKey: .acknowledgedBy)
        self.resolvedAt = try time(.resolvedAt)
        self.resolvedBy = try container.decodeIfPresent(String.self, forKey: .resolvedBy)
        self.note = try container.decodeIfPresent(String.self, forKey: .note)
    }

    init(id: String, tenant: TenantID, twin: String, field: String, rule: AlertRuleDefinition, value: Double?, message: String, at time: Int64) {
        self.id = id
        self.tenant = tenant
        self.twin = twin
        self.field = field
        self.rule = rule.name
        self.kind = rule.kind
        self.severity = rule.severity ?? "major"
        self.status = .open
        self.active = true
        self.message = message
        self.value = value
        self.lastValue = value
        self.occurrences = 1
        self.firedAt = time
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.id, forKey: .id)
        try container.encode(self.tenant, forKey: .tenant)
        try container.encode(self.twin, forKey: .twin)
        try container.encode(self.field, forKey: .field)
        try container.encode(self.rule, forKey: .rule)
        try container.encode(self.kind, forKey: .kind)
        try container.encode(self.severity, forKey: .severity)
        try container.encode(self.status, forKey: .status)
        try container.encode(self.active, forKey: .active)
        try container.encode(self.message, forKey: .message)
        try container.encodeIfPresent(self.value, forKey: .value)
        try container.encodeIfPresent(self.lastValue, forKey: .lastValue)
        try container.encode(self.occurrences, forKey: .occurrences)
        try container.encode(RFC3339.format(self.firedAt), forKey: .firedAt)
        try container.encodeIfPresent(self.clearedAt.map(RFC3339.format), forKey: .clearedAt)
        try container.encodeIfPresent(self.acknowledgedAt.map(RFC3339.format), forKey: .acknowledgedAt)
        try container.encodeIfPresent(self.acknowledgedBy, forKey: .acknowledgedBy)
        try container.encodeIfPresent(self.resolvedAt.map(RFC3339.format), forKey: .resolvedAt)
        try container.encodeIfPresent(self.resolvedBy, forKey: .resolvedBy)
        try container.encodeIfPresent(self.note, forKey: .note)
    }
}

/// A change of an alert: `alert.fired`, `alert.cleared`, `alert.acknowledged`, `alert.resolved`.
public struct AlertChange: Sendable {
    public var event: String
    public var alert: Alert
}
