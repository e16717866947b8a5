import Foundation
import Synchronization
import TwinGuardCore

extension TwinRegistry {
    /// Adds a model. Models are immutable per version: uploading the same document again is accepted,
    /// a different document under an existing id is refused (publish a new version instead).
    /// - Returns: the model and whether it was new.
    public func addModel(_ data: Data, tenant: TenantID) async throws -> (TwinModel, created: Bool) {
        let model = try ModelValidator.validate(data)
        let created = try self.state.withLock { state throws(TwinError) -> Bool in
            guard let tenantState = state.tenants[tenant] else { throw TwinError(.notFound, "No tenant '\(tenant)'.") }
            if let existing = tenantState.models[model.id] {
                guard existing == model else {
                    throw TwinError(.alreadyExists, "Model '\(model.id)' already exists with other contents; models are immutable, publish the change as a new version (e.g. ';\(Self.nextVersion(model.id))').")
                }
                return false
            }
            var issues: [TwinError.Issue] = []
            for (index, parent) in (model.extends ?? []).enumerated() where tenantState.models[parent] == nil {
                issues.append(.init(path: "$.extends[\(index)]", message: "no model '\(parent)' in this tenant; upload it first"))
            }
            for (index, relationship) in (model.relationships ?? []).enumerated() {
                if let target = relationship.target, target != model.id, tenantState.models[target] == nil {
                    issues.append(.init(path: "$.relationships[\(index)].target", message: "no model '\(target)' in this tenant; upload it first"))
                }
            }
            if !issues.isEmpty {
                throw TwinError(.invalidModel, "The model refers to unknown models: \(issues.map(\.message).joined(separator: "; "))", issues: issues)
            }
            var inherited = Set((model.properties ?? []).map(\.name) + (model.telemetry ?? []).map(\.name) + (model.commands ?? []).map(\.name))
            for parent in model.extends ?? [] {
                let flat = Self.flatten(parent, in: tenantState.models)
                for name in flat.properties.map(\.name) + flat.telemetry.map(\.name) + flat.commands.map(\.name) {
                    if !inherited.insert(name).inserted {
                        issues.append(.init(path: "$.extends", message: "'\(name)' is declared again (inherited from \(parent))"))
                    }
                }
            }
            if !issues.isEmpty { throw TwinError(.invalidModel, "The model redeclares inherited names.", issues: issues) }
            state.tenants[tenant]!.models[model.id] = model
            return true
        }
        if created { try await self.store.saveModel(model, tenant: tenant) }
        return (model, created)
    }

    private static func nextVersion(_ id: String) -> Int {
        (id.split(separator: ";").last.flatMap { Int($0) } ?? 0) + 1
    }

    /// A model by id.
    public func model(_ id: String, tenant: TenantID) throws(TwinError) -> TwinModel {
        guard let model = self.state.withLock({ $0.tenants[tenant]?.models[id] }) else {
            throw TwinError.modelNotFound(id, tenant: tenant)
        }
        return model
    }

    /// All models of a tenant, by id.
    public func models(tenant: TenantID) -> [TwinModel] {
        self.state.withLock { ($0.tenants[tenant]?.models.values).map(Array.init) ?? [] }.sorted { $0.id < $1.id }
    }

    /// Deletes a model no twin or model uses.
    public func deleteModel(_ id: String, tenant: TenantID) async throws {
        try self.state.withLock { state throws(TwinError) in
            guard let tenantState = state.tenants[tenant], tenantState.models[id] != nil else {
                throw TwinError.modelNotFound(id, tenant: tenant)
            }
            if let user = tenantState.twins.values.first(where: { $0.model == id }) {
                throw TwinError(.inUse, "Model '\(id)' is used by twin '\(user.id)'; move or delete its twins first.")
            }
            if let child = tenantState.models.values.first(where: { $0.extends?.contains(id) ?? false }) {
                throw TwinError(.inUse, "Model '\(id)' is extended by '\(child.id)'; delete that model first.")
            }
            state.tenants[tenant]!.models[id] = nil
        }
        try await self.store.deleteModel(id, tenant: tenant)
    }

    /// A model with everything it inherits.
    struct FlatModel {
        var properties: [PropertyDefinition] = []
        var telemetry: [TelemetryDefinition] = []
        var commands: [CommandDefinition] = []
        var relationships: [RelationshipDefinition] = []
    }

    static func flatten(_ id: String, in models: [String: TwinModel], seen: Set<String> = []) -> FlatModel {
        guard let model = models[id], !seen.contains(id) else { return FlatModel() }
        var flat = FlatModel()
        for parent in model.extends ?? [] {
            let inherited = Self.flatten(parent, in: models, seen: seen.union([id]))
            flat.properties += inherited.properties
            flat.telemetry += inherited.telemetry
            flat.commands += inherited.commands
            flat.relationships += inherited.relationships
        }
        flat.properties += model.properties ?? []
        flat.telemetry += model.telemetry ?? []
        flat.commands += model.commands ?? []
        flat.relationships += model.relationships ?? []
        return flat
    }
}
