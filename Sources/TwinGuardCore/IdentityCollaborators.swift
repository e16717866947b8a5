/// Closes live connections; the broker implements it, for identity (a revoked or blocked device, a disabled
/// or deleted user).
public protocol ConnectionCloser: Sendable {
    /// Closes every connection of a twin's device; returns how many were closed.
    func disconnectDevice(tenant: TenantID, twin: String) -> Int
    /// Closes every connection of a principal (``Principal/ownerKey``); returns how many were closed.
    func disconnectOwner(_ owner: String) -> Int
}

/// What identity needs to know of twins; the twin registry implements it.
public protocol TwinDirectory: Sendable {
    /// The twin's `site` tag, for users limited to sites.
    func site(ofTwin twin: String, tenant: TenantID) -> String?
    /// The policy groups of a twin's device: its `group` tag and `model:<model id>`.
    func policyGroups(ofTwin twin: String, tenant: TenantID) -> Set<String>
    /// Whether the tenant lets devices sign in with passwords.
    func allowsDevicePasswords(tenant: TenantID) -> Bool
}

/// Where a module reports events for live streams and the console (identity's tier changes and posture
/// findings); the twin event hub implements it.
public protocol EventSink: Sendable {
    func emit(kind: String, tenant: TenantID, twin: String, data: [String: String])
}
