/// A twin model (DTDL-inspired): what a kind of asset reports, accepts and relates to.
///
/// The id carries its version after a semicolon (`tg:factory:CNCMachine;1`); a twin names the exact
/// version it follows.
public struct TwinModel: Codable, Sendable, Equatable {
    public var id: String
    public var displayName: String?
    public var description: String?
    /// Models whose contents this one inherits (ids with versions).
    public var extends: [String]?
    public var properties: [PropertyDefinition]?
    public var telemetry: [TelemetryDefinition]?
    public var commands: [CommandDefinition]?
    public var relationships: [RelationshipDefinition]?
    /// A physical or logical model of the twin's state, for what-if simulation.
    public var stateModel: StateModelDefinition?
    /// How the twin's telemetry feeds a trained remaining-useful-life model.
    public var rul: RULBinding?

    public init(id: String) {
        self.id = id
    }
}

/// The value types a model can declare.
public enum SchemaType: String, Codable, Sendable, CaseIterable {
    case boolean, integer, double, string, `enum`, object
}

/// A property: state the twin holds, reported by the device and, when writable, desired by operators.
public struct PropertyDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var schema: SchemaType
    public var writable: Bool?
    public var unit: String?
    public var minimum: Double?
    public var maximum: Double?
    /// Allowed values of an `enum` property.
    public var values: [String]?
}

/// A telemetry field: a time series the device streams.
public struct TelemetryDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var schema: SchemaType
    public var unit: String?
    /// Values outside it are stored but flagged.
    public var expectedRange: ExpectedRange?
    /// Streaming anomaly detection on this field (numeric fields only); off when absent.
    public var anomaly: AnomalyDetectionSettings?
    /// Alert rules on this field (numeric fields; absence rules on any).
    public var alerts: [AlertRuleDefinition]?
}

/// The kinds of alert rule.
public enum AlertRuleKind: String, Codable, Sendable, CaseIterable {
    /// The value is above `above` or below `below`.
    case threshold
    /// The value changes faster than `above` (or slower than `below`) per second.
    case rate
    /// No value for `seconds`.
    case absence
}

/// An alert rule on a telemetry field.
public struct AlertRuleDefinition: Codable, Sendable, Equatable {
    /// Unique within the field.
    public var name: String
    public var kind: AlertRuleKind
    public var above: Double?
    public var below: Double?
    /// For absence: seconds without a value.
    public var seconds: Double?
    /// How far back past the limit the value must come before the alert clears (default 0).
    public var hysteresis: Double?
    /// `minor`, `major` (default) or `critical`.
    public var severity: String?

    public init(name: String, kind: AlertRuleKind, above: Double? = nil, below: Double? = nil, seconds: Double? = nil, hysteresis: Double? = nil, severity: String? = nil) {
        self.name = name
        self.kind = kind
        self.above = above
        self.below = below
        self.seconds = seconds
        self.hysteresis = hysteresis
        self.severity = severity
    }
}

/// How a telemetry field is watched for anomalies. Every member is optional; absent ones take the
/// detector's defaults.
public struct AnomalyDetectionSettings: Codable, Sendable, Equatable {
    /// `false` turns detection off for the field (default on once the object is given).
    public var enabled: Bool?
    /// `adaptive` (default: TwinGuard's streaming detector), or a simple baseline: `zscore` (rolling
    /// 100-value z-score) or `ewma` (exponentially weighted z-score); the baselines score 0.5 at 3σ.
    public var detector: String?
    /// Above 1 flags smaller deviations, below 1 only larger ones (0.1–10, default 1).
    public var sensitivity: Double?
    /// Values learned before any is scored (10–100000, default 100).
    public var warmUp: Int?
    /// Values over which the memory of an earlier extreme halves (50–1000000, default 3000).
    public var memory: Double?
    /// Whether to learn a time-of-day profile (default true).
    public var seasonal: Bool?
    /// Score at which an anomaly event is raised (0–1, default 0.5).
    public var threshold: Double?

    /// The detectors a field may choose.
    public static let detectors = ["adaptive", "zscore", "ewma"]

    public init(
        enabled: Bool? = nil, detector: String? = nil, sensitivity: Double? = nil, warmUp: Int? = nil, memory: Double? = nil,
        seasonal: Bool? = nil, threshold: Double? = nil
    ) {
        self.enabled = enabled
        self.detector = detector
        self.sensitivity = sensitivity
        self.warmUp = warmUp
        self.memory = memory
        self.seasonal = seasonal
        self.threshold = threshold
    }

    /// Whether detection runs.
    public var isOn: Bool { self.enabled ?? true }

    /// What is wrong with these settings, by member; empty when they are valid.
    public var problems: [(member: String, message: String)] {
        var problems: [(String, String)] = []
        if let detector = self.detector, !Self.detectors.contains(detector) {
            problems.append(("detector", "expected one of \(Self.detectors.joined(separator: ", "))"))
        }
        if let value = self.sensitivity, !(0.1...10).contains(value) { problems.append(("sensitivity", "expected a number from 0.1 to 10")) }
        if let value = self.warmUp, !(10...100_000).contains(value) { problems.append(("warmUp", "expected an integer from 10 to 100000")) }
        if let value = self.memory, !(50...1_000_000).contains(value) { problems.append(("memory", "expected a number from 50 to 1000000")) }
        if let value = self.threshold, !(0...1).contains(value) { problems.append(("threshold", "expected a number from 0 to 1")) }
        return problems
    }
}

/// The range a telemetry value is expected in.
public struct ExpectedRange: Codable, Sendable, Equatable {
    public var min: Double?
    public var max: Double?

    public func contains(_ value: Double) -> Bool {
        (self.min.map { value >= $0 } ?? true) && (self.max.map { value <= $0 } ?? true)
    }
}

/// A command the device accepts, with the shapes of its request and response (JSON Schema subset).
public struct CommandDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var request: JSONValue?
    public var response: JSONValue?
}

/// A relationship to other twins (`contains`, `feeds`, `locatedIn`), optionally limited to a target model.
public struct RelationshipDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var target: String?
}

/// The kinds of state model a twin model may declare.
public enum StateModelKind: String, Codable, Sendable, CaseIterable {
    /// First-order thermal: temperature relaxes towards ambient + gain × power with time constant tau.
    case thermal
    /// Wear accumulating with load: rate × (load / nominal)^exponent per second, failing at failureAt.
    case wear
    /// Tank level: (inflow − outflow) / area, between 0 and capacity.
    case tank
    /// Battery state of charge (0–1) from charge and discharge power, capacity in Wh and efficiency.
    case battery
    /// Queue or traffic flow: arrivals against service rate.
    case queue
}

/// A twin model's state model: its kind, parameters, default inputs, where the current state and the
/// recorded inputs are found on a twin, and thresholds worth predicting.
public struct StateModelDefinition: Codable, Sendable, Equatable {
    public var kind: StateModelKind
    public var parameters: [String: Double]?
    /// Default input values (a simulation request may change them).
    public var inputs: [String: Double]?
    /// The telemetry field or reported property holding the current state (the model's one variable).
    public var stateField: String?
    /// Input name → telemetry field recording it, for calibration.
    public var inputFields: [String: String]?
    public var thresholds: [StateThreshold]?

    public init(kind: StateModelKind) { self.kind = kind }
}

/// A level of the state worth predicting the crossing of.
public struct StateThreshold: Codable, Sendable, Equatable {
    public var name: String
    public var above: Double?
    public var below: Double?
    /// Crossing it means failure (reported as the time to failure).
    public var failure: Bool?

    public init(name: String, above: Double? = nil, below: Double? = nil, failure: Bool? = nil) {
        self.name = name
        self.above = above
        self.below = below
        self.failure = failure
    }
}

/// Which telemetry fields feed a remaining-useful-life model trained for this twin model (one point
/// with all of them is one cycle), and when to call for maintenance.
public struct RULBinding: Codable, Sendable, Equatable {
    /// The sensor fields, in the order of the training data's sensor columns.
    public var sensors: [String]
    /// The operating-setting fields, in the training data's order (absent: all zero).
    public var settings: [String]?
    /// A `maintenance` event is raised when the predicted RUL falls below this many cycles.
    public var maintenanceBelow: Double?

    public init(sensors: [String], settings: [String]? = nil, maintenanceBelow: Double? = nil) {
        self.sensors = sensors
        self.settings = settings
        self.maintenanceBelow = maintenanceBelow
    }

    /// Every field it reads.
    public var fields: Set<String> { Set(self.sensors + (self.settings ?? [])) }
}
