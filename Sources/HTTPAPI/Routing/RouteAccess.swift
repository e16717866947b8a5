import TwinGuardCore

/// Who may call a route: declared with the route itself (``APIRoutes``) and checked by
/// ``AuthenticationMiddleware`` after the router has matched the request and before the handler runs, so a
/// route cannot exist without its check.
struct RouteAccess: Sendable, Equatable {
    /// Who is let in at all.
    enum Callers: Sendable, Equatable {
        /// No credentials needed: health probes, the PKI files, enrolment, login, the console's files.
        case anyone
        /// `/metrics`: the metrics token, or an administrator who may see every tenant's traffic (``MetricsAccess``).
        case metricsReaders
        /// Any authenticated caller: only for requests no route matches (they then learn 404 or 405).
        case authenticated
        /// An authenticated caller whose role grants the permission.
        case permitted(Permission)
    }

    /// What the route means for a user limited to sites.
    enum SiteScope: Sendable, Equatable {
        /// The route names a twin in this path parameter: the twin must be of one of the user's sites.
        case twin(parameter: String)
        /// The route shows only what the user may see (lists, event streams) or concerns the user alone.
        case filtered
        /// Tenant-wide data or settings: not for users limited to sites.
        case tenantWide
    }

    /// What a device, authenticated by its client certificate on HTTPS, may do here.
    enum DeviceAccess: Sendable, Equatable {
        case refused
        /// Any enrolled device (certificate renewal, attestation nonces).
        case allowed
        /// Only the device whose twin this path parameter names (its own telemetry).
        case ownTwin(parameter: String)
    }

    var callers: Callers
    var sites: SiteScope = .tenantWide
    var devices: DeviceAccess = .refused
    /// Whether a user who must still enrol a second factor may call it (their own account, logging out).
    var allowsPendingSecondFactor = false
    /// Whether the request body holds a password or token (login, setup, enrolment), refused over plain HTTP from
    /// another machine like an `Authorization` header.
    var credentialsInBody = false

    /// A route that needs no credentials.
    static let anyone = RouteAccess(callers: .anyone)
    /// `/metrics`.
    static let metricsReaders = RouteAccess(callers: .metricsReaders)
    /// A request that matched no route: any caller who proves who they are learns that it does not exist.
    static let unmatched = RouteAccess(callers: .authenticated, sites: .filtered, devices: .allowed, allowsPendingSecondFactor: true)

    /// A route for callers whose role grants `permission`.
    static func needs(_ permission: Permission, sites: SiteScope = .tenantWide) -> RouteAccess {
        RouteAccess(callers: .permitted(permission), sites: sites)
    }

    /// The same, open to devices as `access` says.
    func devices(_ access: DeviceAccess) -> RouteAccess {
        var copy = self
        copy.devices = access
        return copy
    }

    /// The same, open to users who must still enrol their second factor.
    func allowingPendingSecondFactor() -> RouteAccess {
        var copy = self
        copy.allowsPendingSecondFactor = true
        return copy
    }

    /// The same, for a route whose body carries a credential.
    func carryingCredentialsInBody() -> RouteAccess {
        var copy = self
        copy.credentialsInBody = true
        return copy
    }
}
