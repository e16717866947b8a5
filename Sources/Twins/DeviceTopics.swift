import Foundation
import TimeSeries
import TwinGuardCore

/// Consumes the platform's device topics: `tg/{tenant}/{twin}/telemetry` (JSON or line protocol),
/// `tg/{tenant}/{twin}/reported` (a JSON object of property values) and command responses
/// (`tg/{tenant}/{twin}/commands/{name}/response` with MQTT 5 correlation data).
public struct DeviceTopics: DeviceMessageHandler {
    let ingestor: TelemetryIngestor
    let registry: TwinRegistry
    let commands: CommandCenter

    public init(ingestor: TelemetryIngestor, registry: TwinRegistry, commands: CommandCenter) {
        self.ingestor = ingestor
        self.registry = registry
        self.commands = commands
    }

    public func handles(topic: String) -> Bool {
        topic.hasPrefix("tg/") && (topic.hasSuffix("/telemetry") || topic.hasSuffix("/reported") || topic.hasSuffix("/response"))
    }

    public func handle(
        topic: String, payload: [UInt8], correlationData: [UInt8]?, principal: Principal,
        completion: @escaping @Sendable (DeviceMessageOutcome) -> Void
    ) {
        let levels = Self.levels(topic)
        if levels.count == 6, levels[3] == "commands", levels[5] == "response" {
            guard levels[1] == principal.tenant.rawValue else {
                completion(.refused(.notAuthorized, reason: "topic tenant '\(levels[1])' is not your tenant '\(principal.tenant)'"))
                return
            }
            guard let correlationData, let correlation = String(bytes: correlationData, encoding: .utf8) else {
                completion(.refused(.payloadFormatInvalid, reason: "a command response needs the request's correlation data"))
                return
            }
            let response = (try? JSONDecoder().decode(JSONValue.self, from: Data(payload))) ?? .string(String(decoding: payload, as: UTF8.self))
            if self.commands.resolve(correlation, tenant: principal.tenant, twin: String(levels[2]), with: response) {
                completion(.accepted)
            } else {
                completion(.refused(.payloadFormatInvalid, reason: "no command of twin '\(levels[2])' waits for this correlation data (it timed out, is unknown, or was sent to another twin)"))
            }
            return
        }
        guard levels.count == 4, levels[3] == "telemetry" || levels[3] == "reported" else {
            completion(.refused(.payloadFormatInvalid, reason: "expected tg/{tenant}/{twin}/telemetry or …/reported"))
            return
        }
        let tenant = String(levels[1])
        let twin = String(levels[2])
        guard tenant == principal.tenant.rawValue else {
            completion(.refused(.notAuthorized, reason: "topic tenant '\(tenant)' is not your tenant '\(principal.tenant)'"))
            return
        }
        guard Twin.isValidID(twin) else {
            completion(.refused(.payloadFormatInvalid, reason: "'\(twin.prefix(140))' is not a valid twin id"))
            return
        }
        if levels[3] == "telemetry" {
            // One path for telemetry: a batch of one (it passed the checks the batch repeats, so it does not
            // come back here).
            let message = DeviceMessage(topic: topic, payload: payload, correlationData: correlationData)
            self.handle(batch: [message], principal: principal) { completion($0[0]) }
        } else {
            self.reported(payload, tenant: principal.tenant, twin: twin, completion: completion)
        }
    }

    /// Telemetry of one socket read goes to the store together: one write, one WAL record, one sync to
    /// wait for; every other message is handled alone. One outcome per message, in order.
    public func handle(
        batch: [DeviceMessage], principal: Principal, completion: @escaping @Sendable ([DeviceMessageOutcome]) -> Void
    ) {
        let collector = OutcomeCollector(count: batch.count, completion: completion)
        var points: [TelemetryIngestor.PendingPoint] = []
        var report = IngestReport()
        var telemetry: [Int] = []
        let now = WallClock.nowNanoseconds()
        for (index, message) in batch.enumerated() {
            let levels = Self.levels(message.topic)
            guard levels.count == 4, levels[3] == "telemetry", levels[1] == principal.tenant.rawValue, Twin.isValidID(String(levels[2])) else {
                self.handle(topic: message.topic, payload: message.payload, correlationData: message.correlationData, principal: principal) {
                    collector.set(index, $0)
                }
                continue
            }
            let twin = String(levels[2])
            let first = message.payload.first { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                TelemetryIngestor.parseJSON(message.payload, twin: twin, now: now, message: index, into: &points, report: &report)
            } else {
                TelemetryIngestor.parseLineProtocol(
                    message.payload, precision: .nanoseconds, twin: twin, now: now, message: index, into: &points, report: &report)
            }
            telemetry.append(index)
        }
        guard !telemetry.isEmpty else { return }
        let withPoints = Set(points.map(\.message))
        self.ingestor.store(points, tenant: principal.tenant, now: now, into: &report)
        var refusals: [Int: DeviceMessageOutcome] = [:]
        for (issue, message) in zip(report.rejected, report.rejectedMessages) where refusals[message] == nil {
            refusals[message] = .refused(.payloadFormatInvalid, reason: "\(issue.path): \(issue.message)")
        }
        for index in telemetry where refusals[index] == nil && !withPoints.contains(index) {
            refusals[index] = .refused(.payloadFormatInvalid, reason: "no telemetry in the message")
        }
        let consumed = telemetry
        let decided = refusals
        self.ingestor.whenDurable(report) { result in
            for index in consumed {
                switch result {
                case .success: collector.set(index, decided[index] ?? .accepted)
                case .failure(let error): collector.set(index, .refused(.unavailable, reason: error.message))
                }
            }
        }
    }

    /// The levels of a topic, split on the UTF-8 bytes (`split` on `String` cost a tenth of MQTT ingest).
    static func levels(_ topic: String) -> [Substring] {
        var levels: [Substring] = []
        levels.reserveCapacity(6)
        let utf8 = topic.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                levels.append(Substring(utf8[start..<index]))
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        levels.append(Substring(utf8[start..<index]))
        return levels
    }

    public func presenceChanged(tenant: TenantID, clientID: String, online: Bool) {
        guard Twin.isValidID(clientID) else { return }
        self.registry.setPresence(online, twin: clientID, tenant: tenant)
    }

    private func reported(_ payload: [UInt8], tenant: TenantID, twin: String, completion: @escaping @Sendable (DeviceMessageOutcome) -> Void) {
        guard case .object(let values)? = try? JSONDecoder().decode(JSONValue.self, from: Data(payload)) else {
            completion(.refused(.payloadFormatInvalid, reason: "reported state must be a JSON object of property values"))
            return
        }
        let registry = self.registry
        Task {
            do {
                _ = try await registry.report(twin, tenant: tenant, values: values)
                completion(.accepted)
            } catch let error as TwinError {
                completion(.refused(error.code == .notFound ? .notAuthorized : .payloadFormatInvalid, reason: error.message))
            } catch {
                completion(.refused(.unavailable, reason: "\(error)"))
            }
        }
    }
}
