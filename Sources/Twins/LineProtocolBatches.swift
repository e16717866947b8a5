import TimeSeries
import TwinGuardCore

/// Ingests a long line-protocol body (a large or decompressed `/write`) in batches of whole lines, so that
/// memory stays bounded by the batch, not by the body: each batch is parsed, checked and written to the WAL
/// before the next is read. The request is acknowledged once the last batch is durable (the WAL syncs in
/// order), as for one batch.
public struct LineProtocolBatches {
    /// Bytes of lines collected before they are ingested.
    public static let batchBytes = 1 << 20

    let ingestor: TelemetryIngestor
    let tenant: TenantID
    let precision: TimePrecision
    let now: Int64
    private var pending: [UInt8] = []
    private var nextLine = 1
    /// What was stored and refused so far.
    public private(set) var report = IngestReport()

    public init(ingestor: TelemetryIngestor, tenant: TenantID, precision: TimePrecision, now: Int64 = WallClock.nowNanoseconds()) {
        self.ingestor = ingestor
        self.tenant = tenant
        self.precision = precision
        self.now = now
    }

    /// Takes more of the body; ingests the complete lines once a batch is full.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        self.pending.append(contentsOf: bytes)
        guard self.pending.count >= Self.batchBytes, let lastNewline = self.pending.lastIndex(of: UInt8(ascii: "\n")) else { return }
        let batch = Array(self.pending[...lastNewline])
        self.pending.removeSubrange(...lastNewline)
        self.ingest(batch)
    }

    /// Ingests what is left (a last line without a newline) and returns the whole request's report.
    public mutating func finish() -> IngestReport {
        if !self.pending.isEmpty {
            let batch = self.pending
            self.pending = []
            self.ingest(batch)
        }
        return self.report
    }

    private mutating func ingest(_ batch: [UInt8]) {
        let lines = batch.reduce(into: 0) { count, byte in if byte == UInt8(ascii: "\n") { count += 1 } }
        let report = self.ingestor.writeLineProtocol(
            batch, tenant: self.tenant, precision: self.precision, now: self.now, firstLineNumber: self.nextLine)
        self.nextLine += lines
        self.report.merge(report)
    }
}
