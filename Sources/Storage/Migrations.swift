import GRDB

/// The schema of the data dir, one migration per change; GRDB records which ones ran.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-broker-state") { db in
            try db.create(table: "broker_retained") { table in
                table.column("tenant", .text).notNull()
                table.column("topic", .text).notNull()
                table.column("payload", .blob).notNull()
                table.column("qos", .integer).notNull()
                table.column("properties", .blob).notNull()
                table.column("expires_at", .integer)
                table.primaryKey(["tenant", "topic"])
            }
            try db.create(table: "broker_sessions") { table in
                table.column("tenant", .text).notNull()
                table.column("client_id", .text).notNull()
                table.column("record", .blob).notNull()
                table.primaryKey(["tenant", "client_id"])
            }
        }
        migrator.registerMigration("v2-twins") { db in
            try db.create(table: "tenants") { table in
                table.column("id", .text).primaryKey()
                table.column("record", .blob).notNull()
            }
            try db.create(table: "twin_models") { table in
                table.column("tenant", .text).notNull()
                table.column("id", .text).notNull()
                table.column("record", .blob).notNull()
                table.primaryKey(["tenant", "id"])
            }
            try db.create(table: "twins") { table in
                table.column("tenant", .text).notNull()
                table.column("id", .text).notNull()
                table.column("model", .text)
                table.column("record", .blob).notNull()
                table.primaryKey(["tenant", "id"])
            }
        }
        migrator.registerMigration("v3-commands") { db in
            try db.create(table: "twin_commands") { table in
                table.column("tenant", .text).notNull()
                table.column("twin", .text).notNull()
                table.column("id", .text).notNull()
                table.column("requested_at", .integer).notNull()
                table.column("record", .blob).notNull()
                table.primaryKey(["tenant", "id"])
            }
            try db.create(index: "twin_commands_by_twin", on: "twin_commands", columns: ["tenant", "twin", "requested_at"])
        }
        migrator.registerMigration("v4-identity") { db in
            try db.create(table: "enrollment_tokens") { table in
                table.column("id", .text).primaryKey()
                table.column("record", .blob).notNull()
            }
            try db.create(table: "device_certificates") { table in
                table.column("serial", .text).primaryKey()
                table.column("tenant", .text).notNull()
                table.column("twin", .text).notNull()
                table.column("record", .blob).notNull()
            }
            try db.create(table: "users") { table in
                table.column("tenant", .text).notNull()
                table.column("name", .text).notNull()
                table.column("record", .blob).notNull()
                table.primaryKey(["tenant", "name"])
            }
            try db.create(table: "identity_settings") { table in
                table.column("key", .text).primaryKey()
                table.column("document", .blob).notNull()
            }
            try db.create(table: "access_tokens") { table in
                table.column("id", .text).primaryKey()
                table.column("record", .blob).notNull()
            }
            // Append-only by convention and verified by its hash chain (`twinguard audit verify`).
            try db.create(table: "audit_log") { table in
                table.column("sequence", .integer).primaryKey()
                table.column("time", .integer).notNull()
                table.column("tenant", .text).notNull()
                table.column("actor", .text).notNull()
                table.column("action", .text).notNull()
                table.column("target", .text).notNull()
                table.column("outcome", .text).notNull()
                table.column("detail", .text).notNull()
                table.column("previous_hash", .text).notNull()
                table.column("hash", .text).notNull()
            }
        }
        // A tenant's audit pages are cut in the query, not after it (issue 14 §11).
        migrator.registerMigration("v5-audit-tenant-index") { db in
            try db.create(index: "audit_log_tenant_sequence", on: "audit_log", columns: ["tenant", "sequence"])
        }
        return migrator
    }
}
