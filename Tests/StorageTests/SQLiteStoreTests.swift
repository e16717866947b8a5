import Foundation
import Testing
import TwinGuardCore

@testable import Storage

@Suite("The SQLite store: what is written is there after a reopen, one-time things happen once")
struct SQLiteStoreTests {
    static func path() -> String { NSTemporaryDirectory() + "tg-store-\(UUID().uuidString).sqlite" }

    static func message(_ topic: String, expiresAt: Int64? = nil) -> StoredMessage {
        StoredMessage(topic: topic, payload: Array("21.5".utf8), qos: 1, retain: true, properties: [0x01, 0x01], expiresAt: expiresAt)
    }

    @Test("broker state: upserts and deletes, and the snapshot survives a reopen")
    func brokerState() async throws {
        let path = Self.path()
        do {
            let store = try SQLiteStore(path: path)
            var changes = BrokerStateChanges()
            changes.upsertedRetained = [
                StoredRetained(tenant: .default, message: Self.message("tg/default/a/state", expiresAt: 42)),
                StoredRetained(tenant: .default, message: Self.message("tg/default/b/state")),
            ]
            changes.upsertedSessions = [
                StoredSession(
                    tenant: .default, clientID: "pump-1", protocolVersion: 5, expiryInterval: 300, disconnectedAt: 7,
                    subscriptions: [
                        StoredSubscription(filter: "tg/default/pump-1/desired", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionIdentifier: 7)
                    ], outgoing: [], incomingQoS2: [3], ownerTwin: "pump-1", owner: "device:default/pump-1")
            ]
            try await store.saveBrokerState(changes)
            var second = BrokerStateChanges()
            second.deletedRetained = [RetainedKey(tenant: .default, topic: "tg/default/b/state")]
            try await store.saveBrokerState(second)
            try store.close()
        }
        let reopened = try SQLiteStore(path: path)
        let snapshot = try await reopened.loadBrokerState()
        #expect(snapshot.retained == [StoredRetained(tenant: .default, message: Self.message("tg/default/a/state", expiresAt: 42))])
        #expect(snapshot.sessions.count == 1)
        #expect(snapshot.sessions.first?.owner == "device:default/pump-1")
        #expect(snapshot.sessions.first?.subscriptions.first?.filter == "tg/default/pump-1/desired")
        #expect(snapshot.sessions.first?.incomingQoS2 == [3])
        try reopened.close()
    }

    @Test("an enrollment token is consumed once, even by two callers at the same time")
    func tokenOnce() async throws {
        let store = try SQLiteStore(path: Self.path())
        try await store.saveEnrollmentToken(
            EnrollmentTokenRecord(id: "t1", tenant: .default, twin: "pump-1", secretHash: "ab", createdAt: 1, expiresAt: 2, createdBy: "admin"))
        async let first = store.consumeEnrollmentToken(id: "t1", at: 10)
        async let second = store.consumeEnrollmentToken(id: "t1", at: 11)
        let results = try await [first, second]
        #expect(results.filter { $0 }.count == 1)
        #expect(try await store.consumeEnrollmentToken(id: "unknown", at: 12) == false)
        #expect(try await store.enrollmentToken(id: "t1")?.usedAt != nil)
        try store.close()
    }

    @Test("the audit log appends after the entry it read, in sequence, under concurrency")
    func auditSequence() async throws {
        let store = try SQLiteStore(path: Self.path())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    _ = try await store.appendAudit { last in
                        AuditEntry(
                            sequence: (last?.sequence ?? 0) + 1, time: Int64(index), tenant: .default, actor: "t", action: "test", target: "\(index)",
                            outcome: "success", detail: "", previousHash: last?.hash ?? "", hash: "h\((last?.sequence ?? 0) + 1)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await store.auditEntries(after: 0, limit: 100, tenant: nil)
        #expect(entries.map(\.sequence) == Array(1...20))
        #expect(zip(entries.dropFirst(), entries).allSatisfy { $0.previousHash == $1.hash })
        #expect(try await store.lastAuditEntry()?.sequence == 20)
        try store.close()
    }
}
