import TwinGuardCore

/// How far a device is trusted, from its trust score or an operator's override.
public enum TrustTier: String, Sendable, Codable, CaseIterable {
    /// Everything its policy grants.
    case trusted
    /// Telemetry, reported state, events and posture only: no commands, no desired state.
    case restricted
    /// Posture reports only (and certificate renewal over HTTPS).
    case quarantined
    /// Nothing: connections are refused and closed.
    case blocked

    /// The topic suffixes (after `tg/{tenant}/{twin}/`) a device of this tier may still publish to;
    /// `nil` means no restriction beyond its policy.
    var publishableSuffixes: Set<String>? {
        switch self {
        case .trusted: nil
        case .restricted: ["telemetry", "reported", "events", "posture"]
        case .quarantined: ["posture"]
        case .blocked: []
        }
    }

    /// Whether a device of this tier may subscribe to anything (desired state and commands are what
    /// devices subscribe to).
    var maySubscribe: Bool { self == .trusted }
}
