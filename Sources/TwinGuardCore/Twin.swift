/// The live twin of one asset: identity, model, tags, reported and desired state, relationships.
public struct Twin: Codable, Sendable, Equatable {
    public var tenant: TenantID
    public var id: String
    /// The model version it follows; `nil` for an open model that learns its fields.
    public var model: String?
    public var tags: [String: String]
    public var reported: [String: PropertyState]
    public var desired: [String: PropertyState]
    public var relationships: [Relationship]
    /// Fields an open model has learned from telemetry, with their types.
    public var learnedFields: [String: FieldType]
    /// Increases with every change of the twin's document; its ETag.
    public var version: Int64
    public var createdAt: Int64
    public var updatedAt: Int64
    /// When the device was last heard from (telemetry, reports, connection).
    public var lastSeen: Int64?

    public init(tenant: TenantID, id: String, model: String?, tags: [String: String] = [:], now: Int64) {
        self.tenant = tenant
        self.id = id
        self.model = model
        self.tags = tags
        self.reported = [:]
        self.desired = [:]
        self.relationships = []
        self.learnedFields = [:]
        self.version = 1
        self.createdAt = now
        self.updatedAt = now
    }

    /// Whether `id` is a valid twin id: `[A-Za-z0-9._:-]{1,128}`.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                    UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }
}

/// One property value with its own version and time of last change.
public struct PropertyState: Codable, Sendable, Equatable {
    public var value: JSONValue
    public var version: Int64
    public var updatedAt: Int64

    public init(value: JSONValue, version: Int64, updatedAt: Int64) {
        self.value = value
        self.version = version
        self.updatedAt = updatedAt
    }
}

/// An edge of the twin graph: this twin `name`s the target (`contains`, `feeds`, `locatedIn`).
public struct Relationship: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var target: String

    public init(name: String, target: String) {
        self.name = name
        self.target = target
    }
}

/// A tenant's settings.
public struct TenantSettings: Codable, Sendable, Equatable {
    public var id: TenantID
    /// In strict mode, telemetry for unknown series is refused instead of creating open twins.
    public var strict: Bool
    /// How long raw telemetry is kept, in ns; `nil` follows the server's `telemetry.retention`.
    public var retention: Int64?
    /// Downsampling tiers; `nil` follows the server's `telemetry.tiers`, empty means none.
    public var tiers: [DownsampleTier]?
    /// Whether devices of this tenant may sign in with a password instead of a certificate (off unless an
    /// administrator turns it on).
    public var devicePasswords: Bool?
    /// Whether the numeric fields of open-model twins (no model) are watched for anomalies (off unless
    /// turned on; model fields declare it in the model).
    public var anomalyDetection: Bool?

    public init(id: TenantID, strict: Bool = false) {
        self.id = id
        self.strict = strict
    }
}

/// A command sent to a device and what became of it.
public struct CommandRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case pending, completed, timedOut = "timed_out", deviceOffline = "device_offline"
    }

    public var id: String
    public var tenant: TenantID
    public var twin: String
    public var name: String
    public var request: JSONValue
    public var response: JSONValue?
    public var status: Status
    public var requestedAt: Int64
    public var completedAt: Int64?
    /// Who sent it (principal subject).
    public var requestedBy: String

    public init(id: String, tenant: TenantID, twin: String, name: String, request: JSONValue, requestedBy: String, now: Int64) {
        self.id = id
        self.tenant = tenant
        self.twin = twin
        self.name = name
        self.request = request
        self.status = .pending
        self.requestedAt = now
        self.requestedBy = requestedBy
    }
}

/// Persistence of twins, models and tenants (the metadata store implements it).
public protocol TwinStore: Sendable {
    func loadTenants() async throws -> [TenantSettings]
    func saveTenant(_ tenant: TenantSettings) async throws
    func loadModels() async throws -> [(TenantID, TwinModel)]
    func saveModel(_ model: TwinModel, tenant: TenantID) async throws
    func deleteModel(_ id: String, tenant: TenantID) async throws
    func loadTwins() async throws -> [Twin]
    /// Inserts or replaces twins in one transaction.
    func saveTwins(_ twins: [Twin]) async throws
    func deleteTwin(_ id: String, tenant: TenantID) async throws
    /// Inserts or replaces a command record.
    func saveCommand(_ command: CommandRecord) async throws
    /// The newest commands of a twin, newest first.
    func loadCommands(twin: String, tenant: TenantID, limit: Int) async throws -> [CommandRecord]
}
