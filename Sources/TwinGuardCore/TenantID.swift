/// The isolation boundary of TwinGuard: every twin, topic, session and credential belongs to one tenant.
///
/// Tenant ids follow the twin-id alphabet (`[A-Za-z0-9._:-]`), so they can appear in topics and paths.
public struct TenantID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The raw identifier.
    public let rawValue: String

    /// The tenant every fresh server has, and the one anonymous development clients act in.
    public static let `default` = TenantID(unchecked: "default")

    /// Creates a tenant id after checking its alphabet and length.
    /// - Returns: `nil` when `rawValue` is empty, longer than 64 characters or outside `[A-Za-z0-9._:-]`.
    public init?(_ rawValue: String) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= 64,
            rawValue.utf8.allSatisfy({ TenantID.isAllowed($0) })
        else { return nil }
        self.rawValue = rawValue
    }

    /// Creates a tenant id without validation; for constants and values read back from our own store.
    public init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { self.rawValue }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: ":"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

extension TenantID {
    /// Encoded as its plain string (`"default"`); records written before as `{"rawValue": …}` still decode.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            self.init(unchecked: text)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(unchecked: try container.decode(String.self, forKey: .rawValue))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    private enum CodingKeys: String, CodingKey {
        case rawValue
    }
}
