import Foundation
import GRDB
import TwinGuardCore

extension SQLiteStore: IdentityStore {
    public func saveEnrollmentToken(_ token: EnrollmentTokenRecord) async throws {
        let record = try JSONEncoder().encode(token)
        try await self.identityWrite("enrollment token") { db in
            try db.execute(sql: "INSERT OR REPLACE INTO enrollment_tokens (id, record) VALUES (?, ?)", arguments: [token.id, record])
        }
    }

    public func enrollmentToken(id: String) async throws -> EnrollmentTokenRecord? {
        try await self.identityRead("enrollment token") { db in
            try Data.fetchOne(db, sql: "SELECT record FROM enrollment_tokens WHERE id = ?", arguments: [id])
                .map { try JSONDecoder().decode(EnrollmentTokenRecord.self, from: $0) }
        }
    }

    public func consumeEnrollmentToken(id: String, at time: Int64) async throws -> Bool {
        do {
            return try await self.database.write { db in
                guard let data = try Data.fetchOne(db, sql: "SELECT record FROM enrollment_tokens WHERE id = ?", arguments: [id]) else {
                    return false
                }
                var token = try JSONDecoder().decode(EnrollmentTokenRecord.self, from: data)
                guard token.usedAt == nil else { return false }
                token.usedAt = time
                try db.execute(
                    sql: "UPDATE enrollment_tokens SET record = ? WHERE id = ?", arguments: [try JSONEncoder().encode(token), id])
                return true
            }
        } catch {
            throw StorageError.writeFailed("enrollment token", error)
        }
    }

    public func saveCertificate(_ certificate: DeviceCertificateRecord) async throws {
        let record = try JSONEncoder().encode(certificate)
        try await self.identityWrite("device certificate") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO device_certificates (serial, tenant, twin, record) VALUES (?, ?, ?, ?)",
                arguments: [certificate.serial, certificate.tenant.rawValue, certificate.twin, record])
        }
    }

    public func loadCertificates() async throws -> [DeviceCertificateRecord] {
        try await self.identityRead("device certificates") { db in
            try Data.fetchAll(db, sql: "SELECT record FROM device_certificates ORDER BY rowid").map {
                try JSONDecoder().decode(DeviceCertificateRecord.self, from: $0)
            }
        }
    }

    public func saveUser(_ user: UserRecord) async throws {
        let record = try JSONEncoder().encode(user)
        try await self.identityWrite("user") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO users (tenant, name, record) VALUES (?, ?, ?)",
                arguments: [user.tenant.rawValue, user.name, record])
        }
    }

    public func deleteUser(name: String) async throws {
        try await self.identityWrite("user") { db in
            try db.execute(sql: "DELETE FROM users WHERE name = ?", arguments: [name])
        }
    }

    public func loadUsers() async throws -> [UserRecord] {
        try await self.identityRead("users") { db in
            try Data.fetchAll(db, sql: "SELECT record FROM users ORDER BY rowid").map { try JSONDecoder().decode(UserRecord.self, from: $0) }
        }
    }

    public func saveAccessToken(_ token: AccessTokenRecord) async throws {
        let record = try JSONEncoder().encode(token)
        try await self.identityWrite("access token") { db in
            try db.execute(sql: "INSERT OR REPLACE INTO access_tokens (id, record) VALUES (?, ?)", arguments: [token.id, record])
        }
    }

    public func deleteAccessToken(id: String) async throws {
        try await self.identityWrite("access token") { db in
            try db.execute(sql: "DELETE FROM access_tokens WHERE id = ?", arguments: [id])
        }
    }

    public func loadAccessTokens() async throws -> [AccessTokenRecord] {
        try await self.identityRead("access tokens") { db in
            try Data.fetchAll(db, sql: "SELECT record FROM access_tokens ORDER BY rowid").map {
                try JSONDecoder().decode(AccessTokenRecord.self, from: $0)
            }
        }
    }

    public func saveSetting(key: String, document: [UInt8]) async throws {
        try await self.identityWrite("identity setting") { db in
            try db.execute(sql: "INSERT OR REPLACE INTO identity_settings (key, document) VALUES (?, ?)", arguments: [key, Data(document)])
        }
    }

    public func loadSettings(prefix: String) async throws -> [(key: String, document: [UInt8])] {
        try await self.identityRead("identity settings") { db in
            try Row.fetchAll(db, sql: "SELECT key, document FROM identity_settings WHERE substr(key, 1, ?) = ? ORDER BY key",
                             arguments: [prefix.count, prefix])
                .map { (key: $0["key"] as String, document: [UInt8]($0["document"] as Data)) }
        }
    }

    public func appendAudit(_ make: @escaping @Sendable (AuditEntry?) -> AuditEntry) async throws -> AuditEntry {
        do {
            return try await self.database.write { db in
                let last = try Row.fetchOne(db, sql: "SELECT * FROM audit_log ORDER BY sequence DESC LIMIT 1").map(Self.auditEntry)
                let entry = make(last)
                try db.execute(
                sql: """
                    INSERT INTO audit_log (sequence, time, tenant, actor, action, target, outcome, detail, previous_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    entry.sequence, entry.time, entry.tenant.rawValue, entry.actor, entry.action, entry.target, entry.outcome,
                    entry.detail, entry.previousHash, entry.hash,
                ])
                return entry
            }
        } catch {
            throw StorageError.writeFailed("audit entry", error)
        }
    }

    public func auditEntries(after: Int64, limit: Int, tenant: TenantID?) async throws -> [AuditEntry] {
        try await self.identityRead("audit log") { db in
            if let tenant {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM audit_log WHERE tenant = ? AND sequence > ? ORDER BY sequence LIMIT ?",
                    arguments: [tenant.rawValue, after, limit]
                ).map(Self.auditEntry)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [after, limit])
                .map(Self.auditEntry)
        }
    }

    public func lastAuditEntry() async throws -> AuditEntry? {
        try await self.identityRead("audit log") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM audit_log ORDER BY sequence DESC LIMIT 1").map(Self.auditEntry)
        }
    }

    private static func auditEntry(_ row: Row) -> AuditEntry {
        AuditEntry(
            sequence: row["sequence"], time: row["time"], tenant: TenantID(unchecked: row["tenant"]), actor: row["actor"],
            action: row["action"], target: row["target"], outcome: row["outcome"], detail: row["detail"],
            previousHash: row["previous_hash"], hash: row["hash"])
    }

    private func identityRead<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await self.database.read(body)
        } catch {
            throw StorageError.readFailed(what, error)
        }
    }

    private func identityWrite(_ what: String, _ body: @escaping @Sendable (Database) throws -> Void) async throws {
        do {
            try await self.database.write(body)
        } catch {
            throw StorageError.writeFailed(what, error)
        }
    }
}
