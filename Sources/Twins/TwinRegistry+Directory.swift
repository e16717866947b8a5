import TwinGuardCore

/// What identity reads of twins: sites, policy groups, the tenant's device-password setting.
extension TwinRegistry: TwinDirectory {
    public func site(ofTwin twin: String, tenant: TenantID) -> String? {
        (try? self.twin(twin, tenant: tenant))?.tags["site"]
    }

    public func policyGroups(ofTwin twin: String, tenant: TenantID) -> Set<String> {
        guard let document = try? self.twin(twin, tenant: tenant) else { return [] }
        var groups: Set<String> = []
        if let group = document.tags["group"] { groups.insert(group) }
        if let model = document.model { groups.insert("model:" + model) }
        return groups
    }

    public func allowsDevicePasswords(tenant: TenantID) -> Bool {
        self.tenants().first { $0.id == tenant }?.devicePasswords == true
    }
}

/// Identity's events (tier changes, posture findings) reach the live streams as twin events.
extension EventHub: EventSink {
    public func emit(kind: String, tenant: TenantID, twin: String, data: [String: String]) {
        self.publish(TwinEvent(kind: kind, tenant: tenant, twin: twin, data: .object(data.mapValues { .string($0) })))
    }
}
