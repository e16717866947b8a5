import Foundation
import GRDB
import TwinGuardCore

extension SQLiteStore: BrokerStateStore {
    public func loadBrokerState() async throws -> BrokerSnapshot {
        do {
            return try await self.database.read { db in
                let retained = try Row.fetchAll(db, sql: "SELECT * FROM broker_retained").map { row in
                    StoredRetained(
                        tenant: TenantID(unchecked: row["tenant"]),
                        message: StoredMessage(
                            topic: row["topic"], payload: [UInt8](row["payload"] as Data), qos: row["qos"], retain: true,
                            properties: [UInt8](row["properties"] as Data), expiresAt: row["expires_at"]))
                }
                let decoder = JSONDecoder()
                let sessions = try Row.fetchAll(db, sql: "SELECT record FROM broker_sessions").compactMap { row in
                    try? decoder.decode(StoredSession.self, from: row["record"] as Data)
                }
                return BrokerSnapshot(sessions: sessions, retained: retained)
            }
        } catch {
            throw StorageError.readFailed("broker state", error)
        }
    }

    public func saveBrokerState(_ changes: BrokerStateChanges) async throws {
        guard !changes.isEmpty else { return }
        let encoder = JSONEncoder()
        let records = try changes.upsertedSessions.map { ($0, try encoder.encode($0)) }
        do {
            try await self.database.write { db in
                for (session, record) in records {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO broker_sessions (tenant, client_id, record) VALUES (?, ?, ?)",
                        arguments: [session.tenant.rawValue, session.clientID, record])
                }
                for key in changes.deletedSessions {
                    try db.execute(
                        sql: "DELETE FROM broker_sessions WHERE tenant = ? AND client_id = ?",
                        arguments: [key.tenant.rawValue, key.clientID])
                }
                for retained in changes.upsertedRetained {
                    let message = retained.message
                    try db.execute(
                        sql: """
                            INSERT OR REPLACE INTO broker_retained (tenant, topic, payload, qos, properties, expires_at)
                            VALUES (?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            retained.tenant.rawValue, message.topic, Data(message.payload), message.qos,
                            Data(message.properties), message.expiresAt,
                        ])
                }
                for key in changes.deletedRetained {
                    try db.execute(
                        sql: "DELETE FROM broker_retained WHERE tenant = ? AND topic = ?",
                        arguments: [key.tenant.rawValue, key.topic])
                }
            }
        } catch {
            throw StorageError.writeFailed("broker state", error)
        }
    }
}
