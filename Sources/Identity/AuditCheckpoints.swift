import Foundation
import TwinGuardCore

#if canImport(Glibc)
import Glibc
#endif

/// A signed statement of the audit chain's head: "entry `sequence` has hash `hash`", signed with the CA
/// key. Checkpoints are numbered and chained to each other (`index`, `previous`), kept in the database and
/// appended to `DATA/audit-checkpoints.jsonl` outside it, and one can be exported (`twinguard audit
/// checkpoint`) to keep elsewhere: truncating the log, rewriting it, or deleting checkpoints in one place no
/// longer verifies.
public struct AuditCheckpoint: Codable, Sendable, Equatable {
    public var sequence: Int64
    public var hash: String
    public var time: Int64
    /// Base64 of the DER ECDSA P-256 signature over ``signedText``.
    public var signature: String
    /// 1, 2, 3 …: a missing number is a deleted checkpoint. Absent in checkpoints of earlier versions.
    public var index: Int64?
    /// Hex SHA-256 of the previous checkpoint's ``signedText`` (``AuditChain/genesis`` for the first).
    public var previous: String?

    var signedText: String {
        guard let index else { return "twinguard-audit-checkpoint:\(self.sequence):\(self.hash):\(self.time)" }
        return "twinguard-audit-checkpoint:v2:\(index):\(self.sequence):\(self.hash):\(self.time):\(self.previous ?? "")"
    }

    /// What the next checkpoint's `previous` names.
    var digest: String { Hex.sha256(Array(self.signedText.utf8)) }
}

/// `DATA/audit-checkpoints.jsonl` (mode 0600): every checkpoint as a JSON line, appended and synced, so that
/// the checkpoints survive the loss or rewriting of the database they vouch for.
struct AuditCheckpointFile: Sendable {
    let path: String

    func append(_ checkpoint: AuditCheckpoint) throws {
        var line = try JSONEncoder().encode(checkpoint)
        line.append(0x0A)
        let descriptor = open(self.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { throw CertificateAuthorityError.unreadable(path: self.path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let written = line.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            throw CertificateAuthorityError.unreadable(path: self.path, reason: "short write")
        }
    }

    /// The checkpoints in the file; a line that is not one is reported, not skipped.
    func load() throws -> [AuditCheckpoint] {
        guard let data = FileManager.default.contents(atPath: self.path) else { return [] }
        var result: [AuditCheckpoint] = []
        for (number, line) in data.split(separator: 0x0A).enumerated() where !line.isEmpty {
            guard let checkpoint = try? JSONDecoder().decode(AuditCheckpoint.self, from: Data(line)) else {
                throw AuditCheckpointFileError(message: "line \(number + 1) of \(self.path) is not a checkpoint")
            }
            result.append(checkpoint)
        }
        return result
    }
}

struct AuditCheckpointFileError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}

extension IdentityService {
    /// Signs the chain head if it moved since the last checkpoint; stores the checkpoint in the database and
    /// appends it to the checkpoint file.
    @discardableResult
    public func writeAuditCheckpoint() async throws -> AuditCheckpoint? {
        guard let head = try await self.store.lastAuditEntry() else { return nil }
        let stored = try await self.storedCheckpoints()
        let last = stored.filter { $0.index != nil }.max { $0.index! < $1.index! }
        if let newest = stored.max(by: { $0.sequence < $1.sequence }), newest.sequence == head.sequence { return nil }
        var checkpoint = AuditCheckpoint(
            sequence: head.sequence, hash: head.hash, time: WallClock.nowNanoseconds(), signature: "", index: (last?.index ?? 0) + 1,
            previous: last?.digest ?? AuditChain.genesis)
        checkpoint.signature = Data(try self.authority.sign(Array(checkpoint.signedText.utf8))).base64EncodedString()
        let key = "checkpoint/" + String(repeating: "0", count: max(0, 20 - String(head.sequence).count)) + String(head.sequence)
        try await self.store.saveSetting(key: key, document: Array(try JSONEncoder().encode(checkpoint)))
        try self.checkpointFile.append(checkpoint)
        return checkpoint
    }

    /// The newest checkpoint, to export and keep elsewhere as an anchor.
    public func latestAuditCheckpoint() async throws -> AuditCheckpoint? {
        try await self.storedCheckpoints().max { ($0.index ?? 0, $0.sequence) < ($1.index ?? 0, $1.sequence) }
    }

    private func storedCheckpoints() async throws -> [AuditCheckpoint] {
        try await self.store.loadSettings(prefix: "checkpoint/").compactMap { try? JSONDecoder().decode(AuditCheckpoint.self, from: Data($0.document)) }
    }

    /// Verifies the chain, then every signed checkpoint in the database and in the checkpoint file against it
    /// and against each other, and, when given, an exported `anchor`.
    ///
    /// Found: an altered, deleted or reordered entry; a cut-off end (a checkpoint or the anchor names an entry
    /// past the head); a forged checkpoint; a checkpoint missing from the database or the file, or a gap in
    /// their numbers; an anchor that is not among the checkpoints (the log was rewritten since it was taken).
    public func verifyAudit(anchor: AuditCheckpoint? = nil) async throws -> AuditChain.Finding {
        let finding = try await AuditChain.verify { try await self.store.auditEntries(after: $0, limit: 1000, tenant: nil) }
        guard case .intact(let count, _) = finding else { return finding }
        let inDatabase = try await self.storedCheckpoints()
        let inFile: [AuditCheckpoint]
        do {
            inFile = try self.checkpointFile.load()
        } catch {
            return .badCheckpoint(reason: "\(error)")
        }
        var numbered: [Int64: AuditCheckpoint] = [:]
        var legacy: [AuditCheckpoint] = []
        for (source, checkpoints) in [("database", inDatabase), ("checkpoint file", inFile)] {
            for checkpoint in checkpoints {
                guard let signature = Data(base64Encoded: checkpoint.signature),
                    self.authority.verify(signature: [UInt8](signature), of: Array(checkpoint.signedText.utf8))
                else { return .badCheckpoint(reason: "a checkpoint in the \(source) does not verify with the CA key") }
                guard let index = checkpoint.index else {
                    legacy.append(checkpoint)
                    continue
                }
                if let known = numbered[index], known != checkpoint {
                    return .badCheckpoint(reason: "checkpoint \(index) differs between the database and the checkpoint file")
                }
                numbered[index] = checkpoint
            }
        }
        let databaseIndexes = Set(inDatabase.compactMap(\.index))
        let fileIndexes = Set(inFile.compactMap(\.index))
        if let missing = databaseIndexes.symmetricDifference(fileIndexes).min() {
            let whereMissing = databaseIndexes.contains(missing) ? "checkpoint file" : "database"
            return .badCheckpoint(reason: "checkpoint \(missing) is missing from the \(whereMissing)")
        }
        var previous = AuditChain.genesis
        for (position, index) in numbered.keys.sorted().enumerated() {
            let checkpoint = numbered[index]!
            guard index == Int64(position) + 1 else {
                return .badCheckpoint(reason: "the checkpoint sequence has a gap: checkpoint \(position + 1) is missing")
            }
            guard checkpoint.previous == previous else {
                return .badCheckpoint(reason: "checkpoint \(index) does not chain to checkpoint \(index - 1)")
            }
            previous = checkpoint.digest
        }
        if let anchor {
            guard let signature = Data(base64Encoded: anchor.signature),
                self.authority.verify(signature: [UInt8](signature), of: Array(anchor.signedText.utf8))
            else { return .badCheckpoint(reason: "the exported checkpoint does not verify with this server's CA key") }
            if anchor.sequence > count { return .truncated(after: count, checkpoint: anchor.sequence) }
            if let index = anchor.index, numbered[index] != anchor {
                return .badCheckpoint(reason: "the exported checkpoint \(index) is not in this log: its checkpoints were rewritten")
            }
        }
        for checkpoint in Array(numbered.values) + legacy + (anchor.map { [$0] } ?? []) {
            if checkpoint.sequence > count {
                return .truncated(after: count, checkpoint: checkpoint.sequence)
            }
            let entry = try await self.store.auditEntries(after: checkpoint.sequence - 1, limit: 1, tenant: nil).first
            if entry?.hash != checkpoint.hash { return .altered(sequence: checkpoint.sequence) }
        }
        return finding
    }
}
