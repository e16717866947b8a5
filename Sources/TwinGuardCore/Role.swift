/// What a principal may do inside its tenant, least privilege first.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    /// A device: only its own twin's topics and what policy grants it.
    case device
    /// Reads twins, telemetry and events.
    case viewer
    /// Reads and writes twins and telemetry, may use any topic of its tenant; no administration.
    case `operator`
    /// Everything in its tenant, administration included.
    case admin

    private var rank: Int {
        switch self {
        case .device: 0
        case .viewer: 1
        case .operator: 2
        case .admin: 3
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
