/// Who is acting: the result of authentication, carried by every connection and request.
public struct Principal: Hashable, Sendable, CustomStringConvertible {
    /// The tenant the principal acts in; it never sees another tenant's data.
    public let tenant: TenantID
    /// What the principal may do.
    public let role: Role
    /// A stable name for logs and the audit trail: a user name, a twin id, or `anonymous`.
    public let subject: String

    public init(tenant: TenantID, role: Role, subject: String) {
        self.tenant = tenant
        self.role = role
        self.subject = subject
    }

    /// The principal of an anonymous client in development mode (`--allow-anonymous`): administrator of
    /// tenant `default`, so that a development server can be tried without setting up users.
    public static let anonymousDevelopment = Principal(tenant: .default, role: .admin, subject: "anonymous")

    public var description: String { "\(self.subject)@\(self.tenant) (\(self.role.rawValue))" }
}
