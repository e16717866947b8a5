/// What a principal may do inside its tenant. Each role is a set of ``Permission``s; nobody holds a
/// permission their role does not list (least privilege).
public enum Role: String, Sendable, Codable, CaseIterable {
    /// A device: only its own twin's topics and what policy grants it.
    case device
    /// Reads twins, telemetry, events.
    case viewer
    /// Builds models and twins, writes telemetry; no device security, no users.
    case engineer
    /// Runs the plant: reads everything, writes desired state, sends commands, uses any topic of its tenant.
    case `operator`
    /// Device identity and trust: enrollment tokens, revocation, quarantine, policies, the audit log.
    case securityOfficer = "security-officer"
    /// Everything in its tenant, users included.
    case admin

    /// Whether this role grants `permission`.
    public func allows(_ permission: Permission) -> Bool {
        switch self {
        case .device: false
        case .viewer: permission == .read
        case .engineer: [.read, .writeTelemetry, .manageTwins, .manageModels].contains(permission)
        case .operator: [.read, .writeTelemetry, .manageTwins, .operate, .anyTopic].contains(permission)
        case .securityOfficer: [.read, .manageDevices, .readAudit].contains(permission)
        case .admin: true
        }
    }

    /// Roles whose holders must use a second factor (TOTP) to log in.
    public var requiresMFA: Bool { self == .admin || self == .securityOfficer }
}

/// One thing a role may allow.
public enum Permission: String, Sendable, CaseIterable {
    /// Read twins, models, telemetry, events, queries.
    case read
    /// Write telemetry (HTTP, Influx `/write`).
    case writeTelemetry
    /// Create and change twins, their reported/desired state.
    case manageTwins
    /// Create and change twin models.
    case manageModels
    /// Send commands to devices and change desired state.
    case operate
    /// Publish and subscribe to any topic of the tenant over MQTT.
    case anyTopic
    /// Enrollment tokens, certificates, revocation, trust tiers, policies.
    case manageDevices
    /// Read and export the audit log.
    case readAudit
    /// Users, roles and tenant settings.
    case administer
}
