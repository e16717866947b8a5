/// Who is acting: the result of authentication, carried by every connection and request.
public struct Principal: Hashable, Sendable, CustomStringConvertible {
    /// The tenant the principal acts in; it never sees another tenant's data.
    public let tenant: TenantID
    /// What the principal may do.
    public let role: Role
    /// A stable name for logs and the audit trail: a user name, a twin id, or `anonymous`.
    public let subject: String
    /// The sites a user is limited to (twins whose `site` tag is one of them); `nil` for the whole tenant.
    public let sites: Set<String>?

    public init(tenant: TenantID, role: Role, subject: String, sites: Set<String>? = nil) {
        self.tenant = tenant
        self.role = role
        self.subject = subject
        self.sites = sites
    }

    /// Whether the principal may see a twin with this `site` tag.
    public func mayAccess(site: String?) -> Bool {
        guard let sites = self.sites else { return true }
        return site.map { sites.contains($0) } ?? false
    }

    /// The principal of an anonymous client in development mode (`--allow-anonymous`): administrator of
    /// tenant `default`, so that a development server can be tried without setting up users.
    public static let anonymousDevelopment = Principal(tenant: .default, role: .admin, subject: "anonymous")

    public var description: String { "\(self.subject)@\(self.tenant) (\(self.role.rawValue))" }
}
