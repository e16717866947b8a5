import Crypto
import Foundation
import TwinGuardCore

/// The rules of the hash-chained audit log: what an entry's hash covers, and how a chain is verified.
public enum AuditChain {
    /// The `previousHash` of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// Hex SHA-256 over the entry's fields (as a JSON array, so no separator can be forged) and the
    /// previous entry's hash. The sequence number is left out: the chain itself fixes the order, so that a
    /// renumbered entry shows as out of order rather than as altered.
    public static func hash(of entry: AuditEntry) -> String {
        let fields: [String] = [
            String(entry.time), entry.tenant.rawValue, entry.actor, entry.action, entry.target, entry.outcome,
            entry.detail, entry.previousHash,
        ]
        let canonical = (try? JSONEncoder().encode(fields)) ?? Data()
        return Hex.sha256(canonical)
    }

    /// What verification found.
    public enum Finding: Equatable, Sendable, CustomStringConvertible {
        /// Every entry is in place: `count` entries, ending in `head`.
        case intact(count: Int64, head: String)
        /// Entry `sequence` was changed after it was written.
        case altered(sequence: Int64)
        /// Entries between `after` and `next` are missing.
        case deleted(after: Int64, next: Int64)
        /// Entry `sequence` does not follow the one before it (entries swapped or re-inserted).
        case reordered(sequence: Int64)
        /// The log ends at `after` but a signed checkpoint names entry `checkpoint`: the end was cut off.
        case truncated(after: Int64, checkpoint: Int64)
        /// A signed checkpoint is forged or damaged.
        case badCheckpoint(reason: String)

        public var description: String {
            switch self {
            case .intact(let count, let head): "audit log intact: \(count) entries, head \(head)"
            case .altered(let sequence): "audit entry \(sequence) was altered: its hash does not match its content"
            case .deleted(let after, let next):
                next == after + 2
                    ? "audit entry \(after + 1) was deleted (entry \(next) follows entry \(after))"
                    : "audit entries \(after + 1)–\(next - 1) were deleted (entry \(next) follows entry \(after))"
            case .reordered(let sequence): "audit entry \(sequence) is out of order: it does not chain to the entry before it"
            case .badCheckpoint(let reason): "audit checkpoint invalid: \(reason)"
            case .truncated(let after, let checkpoint):
                "audit entries after \(after) were deleted: a signed checkpoint names entry \(checkpoint)"
            }
        }

        public var isIntact: Bool {
            if case .intact = self { return true }
            return false
        }
    }

    /// Walks a chain page by page (`page(after)` returns entries in sequence order) and names the first
    /// entry that is not where and what it was written as.
    public static func verify(page: (Int64) async throws -> [AuditEntry]) async throws -> Finding {
        var previousHash = Self.genesis
        var previousSequence: Int64 = 0
        while true {
            let entries = try await page(previousSequence)
            if entries.isEmpty { break }
            for entry in entries {
                if Self.hash(of: entry) != entry.hash { return .altered(sequence: entry.sequence) }
                if entry.sequence != previousSequence + 1 {
                    // A gap: deleted entries, unless the entry chains to its predecessor (then it was renumbered).
                    return entry.previousHash == previousHash
                        ? .reordered(sequence: entry.sequence) : .deleted(after: previousSequence, next: entry.sequence)
                }
                if entry.previousHash != previousHash { return .reordered(sequence: entry.sequence) }
                previousHash = entry.hash
                previousSequence = entry.sequence
            }
        }
        return .intact(count: previousSequence, head: previousHash)
    }
}

/// Appends to the audit log, one entry at a time, each chained to the one before. The store builds each
/// entry inside the transaction that writes it, so appends from many tasks never fork the chain.
public struct AuditLog: Sendable {
    let store: any IdentityStore

    public init(store: any IdentityStore) {
        self.store = store
    }

    /// Records an act. Failure to write is returned: a security decision must not go unrecorded silently.
    @discardableResult
    public func record(
        tenant: TenantID, actor: String, action: String, target: String, outcome: String, detail: String = ""
    ) async throws -> AuditEntry {
        let time = WallClock.nowNanoseconds()
        return try await self.store.appendAudit { last in
            var entry = AuditEntry(
                sequence: (last?.sequence ?? 0) + 1, time: time, tenant: tenant, actor: actor, action: action, target: target,
                outcome: outcome, detail: detail, previousHash: last?.hash ?? AuditChain.genesis, hash: "")
            entry.hash = AuditChain.hash(of: entry)
            return entry
        }
    }
}

extension IdentityService {
    /// Audit entries after `after`, oldest first; only `tenant`'s when it is given (the filter is part of the
    /// query, so that a page holds `limit` entries of that tenant).
    public func auditEntries(after: Int64, limit: Int, tenant: TenantID?) async throws -> [AuditEntry] {
        try await self.store.auditEntries(after: after, limit: limit, tenant: tenant)
    }
}

