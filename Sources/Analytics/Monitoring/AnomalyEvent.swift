import TwinGuardCore

/// An anomaly found in live telemetry.
public struct AnomalyEvent: Codable, Sendable, Equatable {
    public var tenant: TenantID
    public var twin: String
    public var field: String
    /// ns since the epoch: the point's time.
    public var time: Int64
    public var value: Double
    /// The range the detector expected (`nil` where it has no forecast, e.g. a broken relation).
    public var expectedLow: Double?
    public var expectedHigh: Double?
    public var score: Double
    public var kind: AnomalyKind
    public var severity: AnomalySeverity

    /// The event's data for the event stream.
    public var eventData: JSONValue {
        var object: [String: JSONValue] = [
            "field": .string(self.field), "value": .number(self.value), "score": .number((self.score * 1000).rounded() / 1000),
            "kind": .string(self.kind.rawValue), "severity": .string(self.severity.rawValue),
            "at": .string(RFC3339.format(self.time)),
        ]
        if let low = self.expectedLow, let high = self.expectedHigh, low.isFinite, high.isFinite {
            object["expected"] = .array([.number(low), .number(high)])
        }
        return .object(object)
    }
}
