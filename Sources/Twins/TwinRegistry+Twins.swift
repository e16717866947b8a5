import Foundation
import Synchronization
import TwinGuardCore

/// What a client sends to create a twin.
public struct TwinDraft: Codable, Sendable {
    public var id: String
    public var model: String?
    public var tags: [String: String]?
    public var relationships: [Relationship]?
    public var desired: [String: JSONValue]?

    public init(
        id: String, model: String? = nil, tags: [String: String]? = nil, relationships: [Relationship]? = nil,
        desired: [String: JSONValue]? = nil
    ) {
        self.id = id
        self.model = model
        self.tags = tags
        self.relationships = relationships
        self.desired = desired
    }
}

/// A change to a twin's document; members left out stay as they are.
public struct TwinPatch: Codable, Sendable {
    public var model: String?
    public var tags: [String: String]?
    public var relationships: [Relationship]?
}

extension TwinRegistry {
    /// Creates a twin.
    /// - Throws: ``TwinError`` for a bad id, an unknown model or relationship target, or an existing twin.
    public func createTwin(_ draft: TwinDraft, tenant: TenantID) async throws -> Twin {
        guard Twin.isValidID(draft.id) else { throw TwinError.invalidTwinID(draft.id) }
        let now = WallClock.nowNanoseconds()
        let twin = try self.state.withLock { state throws(TwinError) -> Twin in
            guard let tenantState = state.tenants[tenant] else { throw TwinError(.notFound, "No tenant '\(tenant)'.") }
            guard tenantState.twins[draft.id] == nil else {
                throw TwinError(.alreadyExists, "Twin '\(draft.id)' already exists; change it with PATCH /api/v1/twins/\(draft.id).")
            }
            if let model = draft.model, tenantState.models[model] == nil { throw TwinError.modelNotFound(model, tenant: tenant) }
            var twin = Twin(tenant: tenant, id: draft.id, model: draft.model, tags: draft.tags ?? [:], now: now)
            twin.relationships = draft.relationships ?? []
            try Self.checkRelationships(twin, in: tenantState)
            if let desired = draft.desired {
                try Self.applyDesired(desired, to: &twin, models: tenantState.models, now: now)
            }
            state.tenants[tenant]!.twins[twin.id] = twin
            state.tenants[tenant]!.bindings.removeAll()
            return twin
        }
        try await self.store.saveTwins([twin])
        self.publishDelta(of: twin)
        self.events.publish(TwinEvent(kind: "twin.created", tenant: tenant, twin: twin.id, data: .object(["version": .integer(twin.version)])))
        return twin
    }

    /// A twin, with its last-seen time.
    public func twin(_ id: String, tenant: TenantID) throws(TwinError) -> Twin {
        let found = self.state.withLock { state -> Twin? in
            guard var twin = state.tenants[tenant]?.twins[id] else { return nil }
            if let seen = state.lastSeen[TwinKey(tenant: tenant, id: id)] { twin.lastSeen = max(twin.lastSeen ?? 0, seen) }
            return twin
        }
        guard let found else { throw TwinError.twinNotFound(id, tenant: tenant) }
        return found
    }

    /// Twins of a tenant in id order, starting after `cursor`.
    public func listTwins(tenant: TenantID, after cursor: String?, limit: Int) -> (twins: [Twin], next: String?) {
        let all = self.state.withLock { state in
            (state.tenants[tenant]?.twins.values).map(Array.init) ?? []
        }.sorted { $0.id < $1.id }
        let start = cursor.map { cursor in all.partitionPoint { $0.id > cursor } } ?? 0
        let page = Array(all[start..<min(all.count, start + limit)])
        let next = start + limit < all.count ? page.last?.id : nil
        return (page, next)
    }

    /// Every twin of a tenant (for queries).
    public func allTwins(tenant: TenantID) -> [Twin] {
        self.state.withLock { state in
            guard let tenantState = state.tenants[tenant] else { return [] }
            return tenantState.twins.values.map { twin in
                var twin = twin
                if let seen = state.lastSeen[TwinKey(tenant: tenant, id: twin.id)] { twin.lastSeen = max(twin.lastSeen ?? 0, seen) }
                return twin
            }
        }
    }

    /// Changes model, tags or relationships, if `ifMatch` (an ETag) is current.
    public func updateTwin(_ id: String, tenant: TenantID, patch: TwinPatch, ifMatch: String?) async throws -> Twin {
        let twin = try self.mutate(id, tenant: tenant, ifMatch: ifMatch) { twin, tenantState throws(TwinError) in
            if let model = patch.model {
                guard tenantState.models[model] != nil else { throw TwinError.modelNotFound(model, tenant: tenant) }
                twin.model = model
            }
            if let tags = patch.tags { twin.tags = tags }
            if let relationships = patch.relationships {
                twin.relationships = relationships
                try Self.checkRelationships(twin, in: tenantState)
            }
        }
        try await self.store.saveTwins([twin])
        self.events.publish(TwinEvent(kind: "twin.updated", tenant: tenant, twin: twin.id, data: .object(["version": .integer(twin.version)])))
        return twin
    }

    /// Deletes a twin (its stored telemetry stays until retention removes it).
    public func deleteTwin(_ id: String, tenant: TenantID, ifMatch: String?) async throws {
        try self.state.withLock { state throws(TwinError) in
            guard let twin = state.tenants[tenant]?.twins[id] else { throw TwinError.twinNotFound(id, tenant: tenant) }
            if let ifMatch, !Self.matches(ifMatch, twin.version) {
                throw TwinError.versionMismatch(id, expected: ifMatch, current: twin.version)
            }
            state.tenants[tenant]!.twins[id] = nil
            state.tenants[tenant]!.bindings.removeAll()
            state.dirty.remove(TwinKey(tenant: tenant, id: id))
        }
        try await self.store.deleteTwin(id, tenant: tenant)
        self.events.publish(TwinEvent(kind: "twin.deleted", tenant: tenant, twin: id, data: .null))
    }

    /// Sets desired properties (`null` removes one) and sends the new delta to the device.
    public func setDesired(_ id: String, tenant: TenantID, values: [String: JSONValue], ifMatch: String?) async throws -> Twin {
        let now = WallClock.nowNanoseconds()
        let twin = try self.mutate(id, tenant: tenant, ifMatch: ifMatch) { twin, tenantState throws(TwinError) in
            try Self.applyDesired(values, to: &twin, models: tenantState.models, now: now)
        }
        try await self.store.saveTwins([twin])
        self.publishDelta(of: twin)
        self.events.publish(TwinEvent(
            kind: "desired", tenant: tenant, twin: id,
            data: .object(["values": .object(values), "delta": .object(Self.delta(of: twin)), "version": .integer(twin.version)])))
        return twin
    }

    /// Records properties the device reports (from `…/reported` or the API); sends the new delta.
    public func report(_ id: String, tenant: TenantID, values: [String: JSONValue]) async throws -> Twin {
        let now = WallClock.nowNanoseconds()
        let twin = try self.mutate(id, tenant: tenant, ifMatch: nil) { twin, tenantState throws(TwinError) in
            let properties = twin.model.map { Self.flatten($0, in: tenantState.models).properties }
            try Self.apply(values, to: &twin.reported, model: twin.model, properties: properties, writableOnly: false, now: now)
        }
        self.markSeen(tenant, [id], at: now)
        try await self.store.saveTwins([twin])
        self.publishDelta(of: twin)
        self.events.publish(TwinEvent(
            kind: "reported", tenant: tenant, twin: id,
            data: .object(["values": .object(values), "delta": .object(Self.delta(of: twin)), "version": .integer(twin.version)])))
        return twin
    }

    /// Desired values that the device has not reported yet.
    public static func delta(of twin: Twin) -> [String: JSONValue] {
        var delta: [String: JSONValue] = [:]
        for (name, desired) in twin.desired where twin.reported[name]?.value != desired.value {
            delta[name] = desired.value
        }
        return delta
    }

    /// Publishes the delta as a retained message on `tg/{tenant}/{id}/desired`, so that a device gets it at
    /// once and again whenever it subscribes after connecting; an empty delta clears the retained message.
    func publishDelta(of twin: Twin) {
        let delta = Self.delta(of: twin)
        let topic = "tg/\(twin.tenant)/\(twin.id)/desired"
        guard !delta.isEmpty else {
            self.deviceChannel.publish(twin.tenant, topic, [], true)
            return
        }
        struct Message: Encodable {
            var version: Int64
            var delta: [String: JSONValue]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = (try? encoder.encode(Message(version: twin.version, delta: delta))) ?? Data()
        self.deviceChannel.publish(twin.tenant, topic, [UInt8](payload), true)
    }

    // MARK: Helpers

    private func mutate(
        _ id: String, tenant: TenantID, ifMatch: String?,
        _ change: (inout Twin, TenantState) throws(TwinError) -> Void
    ) throws(TwinError) -> Twin {
        try self.state.withLock { state throws(TwinError) -> Twin in
            guard let tenantState = state.tenants[tenant], var twin = tenantState.twins[id] else {
                throw TwinError.twinNotFound(id, tenant: tenant)
            }
            let modelBefore = twin.model
            let version = twin.version
            // A bad request is reported as such before a stale ETag.
            try change(&twin, tenantState)
            if let ifMatch, !Self.matches(ifMatch, version) {
                throw TwinError.versionMismatch(id, expected: ifMatch, current: version)
            }
            twin.version += 1
            twin.updatedAt = WallClock.nowNanoseconds()
            state.tenants[tenant]!.twins[id] = twin
            if twin.model != modelBefore { state.tenants[tenant]!.bindings.removeAll() }
            return twin
        }
    }

    /// Whether an If-Match header value names `version` (`"7"`, `W/"7"` or `*`).
    static func matches(_ header: String, _ version: Int64) -> Bool {
        header.split(separator: ",").contains { item in
            let tag = item.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == "\"\(version)\"" || tag == "W/\"\(version)\""
        }
    }

    private static func checkRelationships(_ twin: Twin, in tenantState: TenantState) throws(TwinError) {
        var issues: [TwinError.Issue] = []
        let declared = twin.model.map { Self.flatten($0, in: tenantState.models).relationships }
        for (index, relationship) in twin.relationships.enumerated() {
            guard Twin.isValidID(relationship.target) else {
                issues.append(.init(path: "$.relationships[\(index)].target", message: "not a valid twin id"))
                continue
            }
            guard let target = tenantState.twins[relationship.target] ?? (relationship.target == twin.id ? twin : nil) else {
                issues.append(.init(path: "$.relationships[\(index)].target", message: "no twin '\(relationship.target)'; create it first"))
                continue
            }
            if let declared {
                guard let definition = declared.first(where: { $0.name == relationship.name }) else {
                    issues.append(.init(path: "$.relationships[\(index)].name", message: "model '\(twin.model!)' declares no relationship '\(relationship.name)'"))
                    continue
                }
                if let wanted = definition.target, target.model != wanted {
                    issues.append(.init(path: "$.relationships[\(index)].target", message: "'\(target.id)' follows \(target.model ?? "no model"), expected \(wanted)"))
                }
            }
        }
        if !issues.isEmpty {
            throw TwinError(.invalid, "Bad relationships: \(issues.map { "\($0.path): \($0.message)" }.joined(separator: "; "))", issues: issues)
        }
    }

    private static func applyDesired(_ values: [String: JSONValue], to twin: inout Twin, models: [String: TwinModel], now: Int64) throws(TwinError) {
        let properties = twin.model.map { Self.flatten($0, in: models).properties }
        try Self.apply(values, to: &twin.desired, model: twin.model, properties: properties, writableOnly: true, now: now)
    }

    /// Sets property values (`null` removes one), each with its own version, after checking every value
    /// against the model's properties (`nil`: an open model, anything goes); all or nothing.
    private static func apply(
        _ values: [String: JSONValue], to states: inout [String: PropertyState], model: String?,
        properties: [PropertyDefinition]?, writableOnly: Bool, now: Int64
    ) throws(TwinError) {
        var issues: [TwinError.Issue] = []
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let properties else { continue }
            guard let definition = properties.first(where: { $0.name == name }) else {
                issues.append(.init(path: "$.\(name)", message: "model '\(model ?? "")' has no property '\(name)'"))
                continue
            }
            if writableOnly && !(definition.writable ?? false) {
                issues.append(.init(path: "$.\(name)", message: "property '\(name)' is not writable; devices report it"))
            } else if value != .null, let problem = Self.check(value, against: definition) {
                issues.append(.init(path: "$.\(name)", message: problem))
            }
        }
        guard issues.isEmpty else {
            let what = writableOnly ? "Desired state refused" : "The report was refused"
            throw TwinError(.invalid, "\(what): \(issues.map { "\($0.path): \($0.message)" }.joined(separator: "; "))", issues: issues)
        }
        for (name, value) in values {
            if value == .null {
                states[name] = nil
            } else {
                states[name] = PropertyState(value: value, version: (states[name]?.version ?? 0) + 1, updatedAt: now)
            }
        }
    }

    /// Why `value` does not fit `definition`, or `nil` when it does.
    static func check(_ value: JSONValue, against definition: PropertyDefinition) -> String? {
        switch (definition.schema, value) {
        case (.boolean, .bool), (.string, .string), (.object, .object):
            return nil
        case (.integer, .integer(let number)):
            return Self.checkBounds(Double(number), definition)
        case (.integer, .number(let number)) where number == number.rounded():
            return Self.checkBounds(number, definition)
        case (.double, .number(let number)):
            return Self.checkBounds(number, definition)
        case (.double, .integer(let number)):
            return Self.checkBounds(Double(number), definition)
        case (.enum, .string(let text)):
            let allowed = definition.values ?? []
            return allowed.contains(text) ? nil : "expected one of \(allowed.joined(separator: ", ")), got '\(text)'"
        default:
            return "expected \(definition.schema.rawValue), got \(value.typeName)"
        }
    }

    private static func checkBounds(_ number: Double, _ definition: PropertyDefinition) -> String? {
        if let minimum = definition.minimum, number < minimum { return "\(number) is below the minimum \(minimum)" }
        if let maximum = definition.maximum, number > maximum { return "\(number) is above the maximum \(maximum)" }
        return nil
    }
}
