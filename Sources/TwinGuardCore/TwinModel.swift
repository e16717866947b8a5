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
