import Foundation
import GRDB
import TwinGuardCore

extension SQLiteStore: TwinStore {
    public func loadTenants() async throws -> [TenantSettings] {
        try await self.readRecords("tenants", sql: "SELECT record FROM tenants")
    }

    public func saveTenant(_ tenant: TenantSettings) async throws {
        let record = try JSONEncoder().encode(tenant)
        try await self.write("tenant") { db in
            try db.execute(sql: "INSERT OR REPLACE INTO tenants (id, record) VALUES (?, ?)", arguments: [tenant.id.rawValue, record])
        }
    }

    public func loadModels() async throws -> [(TenantID, TwinModel)] {
        do {
            return try await self.database.read { db in
                let decoder = JSONDecoder()
                return try Row.fetchAll(db, sql: "SELECT tenant, record FROM twin_models").map { row in
                    (TenantID(unchecked: row["tenant"]), try decoder.decode(TwinModel.self, from: row["record"] as Data))
                }
            }
        } catch {
            throw StorageError.readFailed("twin models", error)
        }
    }

    public func saveModel(_ model: TwinModel, tenant: TenantID) async throws {
        let record = try JSONEncoder().encode(model)
        try await self.write("twin model") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO twin_models (tenant, id, record) VALUES (?, ?, ?)",
                arguments: [tenant.rawValue, model.id, record])
        }
    }

    public func deleteModel(_ id: String, tenant: TenantID) async throws {
        try await self.write("twin model") { db in
            try db.execute(sql: "DELETE FROM twin_models WHERE tenant = ? AND id = ?", arguments: [tenant.rawValue, id])
        }
    }

    public func loadTwins() async throws -> [Twin] {
        try await self.readRecords("twins", sql: "SELECT record FROM twins")
    }

    public func saveTwins(_ twins: [Twin]) async throws {
        guard !twins.isEmpty else { return }
        let encoder = JSONEncoder()
        let records = try twins.map { ($0, try encoder.encode($0)) }
        try await self.write("twins") { db in
            for (twin, record) in records {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO twins (tenant, id, model, record) VALUES (?, ?, ?, ?)",
                    arguments: [twin.tenant.rawValue, twin.id, twin.model, record])
            }
        }
    }

    public func deleteTwin(_ id: String, tenant: TenantID) async throws {
        try await self.write("twin") { db in
            try db.execute(sql: "DELETE FROM twins WHERE tenant = ? AND id = ?", arguments: [tenant.rawValue, id])
        }
    }

    public func saveCommand(_ command: CommandRecord) async throws {
        let record = try JSONEncoder().encode(command)
        try await self.write("command") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO twin_commands (tenant, twin, id, requested_at, record) VALUES (?, ?, ?, ?, ?)",
                arguments: [command.tenant.rawValue, command.twin, command.id, command.requestedAt, record])
        }
    }

    public func loadCommands(twin: String, tenant: TenantID, limit: Int) async throws -> [CommandRecord] {
        do {
            return try await self.database.read { db in
                let decoder = JSONDecoder()
                return try Row.fetchAll(
                    db, sql: "SELECT record FROM twin_commands WHERE tenant = ? AND twin = ? ORDER BY requested_at DESC LIMIT ?",
                    arguments: [tenant.rawValue, twin, limit]
                ).map { try decoder.decode(CommandRecord.self, from: $0["record"] as Data) }
            }
        } catch {
            throw StorageError.readFailed("commands", error)
        }
    }

    private func readRecords<Record: Decodable & Sendable>(_ what: String, sql: String) async throws -> [Record] {
        do {
            return try await self.database.read { db in
                let decoder = JSONDecoder()
                return try Row.fetchAll(db, sql: sql).map { try decoder.decode(Record.self, from: $0["record"] as Data) }
            }
        } catch {
            throw StorageError.readFailed(what, error)
        }
    }

    private func write(_ what: String, _ body: @escaping @Sendable (Database) throws -> Void) async throws {
        do {
            try await self.database.write(body)
        } catch {
            throw StorageError.writeFailed(what, error)
        }
    }
}
