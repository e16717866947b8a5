/// Who is acting: the result of authentication, carried by every connection and request.
public struct Principal: Hashable, Sendable, CustomStringConvertible {
    /// What kind of principal this is. Authority beyond the own tenant comes only from the kind, which only
    /// the code that authenticated the caller sets: never from a name, so no user record can become one.
    public enum Kind: Hashable, Sendable {
        /// A user, an API token or session of one, a device, or a demo credential: acts in its own tenant only.
        case tenantMember
        /// The holder of the local administrator token (`DATA/run/admin.json`): administers every tenant.
        case localAdministrator
        /// An anonymous client of a development server (`--allow-anonymous`): reads every tenant.
        case anonymousDevelopment
    }

    /// The tenant the principal acts in; it never sees another tenant's data unless its ``kind`` says so.
    public let tenant: TenantID
    /// What the principal may do.
    public let role: Role
    /// A stable name for logs and the audit trail: a user name, a twin id, or `anonymous`. Never a source of
    /// authority.
    public let subject: String
    /// The sites a user is limited to (twins whose `site` tag is one of them); `nil` for the whole tenant.
    public let sites: Set<String>?
    /// The kind, which alone grants powers beyond the own tenant.
    public let kind: Kind

    /// A member of `tenant` (a user, token, device or demo credential).
    public init(tenant: TenantID, role: Role, subject: String, sites: Set<String>? = nil) {
        self.tenant = tenant
        self.role = role
        self.subject = subject
        self.sites = sites
        self.kind = .tenantMember
    }

    private init(kind: Kind, subject: String) {
        self.tenant = .default
        self.role = .admin
        self.subject = subject
        self.sites = nil
        self.kind = kind
    }

    /// Whether the principal may see a twin with this `site` tag.
    public func mayAccess(site: String?) -> Bool {
        guard let sites = self.sites else { return true }
        return site.map { sites.contains($0) } ?? false
    }

    /// A key that names this principal and nothing else, for ownership (an MQTT session belongs to the
    /// principal that made it): `device:pump-7`, `user:alice`, `local-admin`, `anonymous`.
    public var ownerKey: String {
        switch self.kind {
        case .localAdministrator: "local-admin"
        case .anonymousDevelopment: "anonymous"
        case .tenantMember: self.role == .device ? Self.ownerKey(ofDevice: self.subject) : "user:" + self.subject
        }
    }

    /// The ``ownerKey`` of the device of `twin` (sessions saved before owners were recorded name only it).
    public static func ownerKey(ofDevice twin: String) -> String { "device:" + twin }

    /// Whether the principal may act in (or read) tenants other than its own.
    public var spansTenants: Bool { self.kind != .tenantMember }

    /// Whether the principal may administer tenants other than its own (users, audit, tokens).
    public var administersAllTenants: Bool { self.kind == .localAdministrator }

    /// The names no user may take, because they name the special principals in logs and the audit trail.
    public static let reservedNames: Set<String> = ["local-admin", "anonymous", "system", "cli", "setup"]

    /// The principal of the local administrator token: administrator of every tenant.
    public static let localAdministrator = Principal(kind: .localAdministrator, subject: "local-admin")

    /// The principal of an anonymous client in development mode (`--allow-anonymous`): administrator of
    /// tenant `default` that may read every tenant, so that a development server can be tried without users.
    public static let anonymousDevelopment = Principal(kind: .anonymousDevelopment, subject: "anonymous")

    public var description: String { "\(self.subject)@\(self.tenant) (\(self.role.rawValue))" }
}
