import Foundation
import Synchronization
import TwinGuardCore

/// Sends commands to devices and waits for their answers: the request goes to
/// `tg/{tenant}/{twin}/commands/{name}` with MQTT 5 correlation data and a response topic
/// (`…/commands/{name}/response`); the device answers there with the same correlation data.
/// Every command is recorded with its outcome.
public final class CommandCenter: Sendable {
    let registry: TwinRegistry
    /// Requests waiting for their device, by correlation id, with the twin that alone may answer them.
    private let pending = Mutex<[String: (tenant: TenantID, twin: String, continuation: CheckedContinuation<JSONValue?, Never>)]>([:])

    public init(registry: TwinRegistry) {
        self.registry = registry
    }

    /// Sends a command and waits up to `timeout` for the device's response.
    /// - Returns: the record, `completed` with the response, `timed_out`, or `device_offline` when the
    ///   twin's device is not connected (nothing is sent then).
    /// - Throws: ``TwinError`` for an unknown twin, or a command the twin's model does not declare.
    public func invoke(
        _ name: String, twin id: String, tenant: TenantID, request: JSONValue, timeout: Duration, requestedBy: String
    ) async throws -> CommandRecord {
        let twin = try self.registry.twin(id, tenant: tenant)
        if let model = twin.model {
            let commands = self.registry.state.withLock { state in
                TwinRegistry.flatten(model, in: state.tenants[tenant]?.models ?? [:]).commands
            }
            guard let definition = commands.first(where: { $0.name == name }) else {
                throw TwinError(.notFound, "Model '\(model)' has no command '\(name)'; it declares \(commands.map(\.name).joined(separator: ", ")).")
            }
            if case .object(let schema)? = definition.request, let type = schema["type"]?.text, type != request.typeName,
                !(type == "integer" && request.typeName == "number")
            {
                throw TwinError(.invalid, "Command '\(name)' takes a JSON \(type), got \(request.typeName).")
            }
        }
        let correlation = UUID().uuidString.lowercased()
        var record = CommandRecord(
            id: correlation, tenant: tenant, twin: id, name: name, request: request, requestedBy: requestedBy, now: WallClock.nowNanoseconds())
        guard self.registry.isOnline(id, tenant: tenant) else {
            // Nothing would answer: say so at once instead of waiting for the timeout.
            record.status = .deviceOffline
            record.completedAt = record.requestedAt
            try await self.registry.store.saveCommand(record)
            return record
        }
        try await self.registry.store.saveCommand(record)
        let payload = [UInt8]((try? JSONEncoder().encode(request)) ?? Data("null".utf8))
        let topic = "tg/\(tenant)/\(id)/commands/\(name)"
        let response: JSONValue? = await withCheckedContinuation { continuation in
            self.pending.withLock { $0[correlation] = (tenant, id, continuation) }
            self.registry.deviceChannel.request(tenant, topic, payload, topic + "/response", Array(correlation.utf8))
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(correlation)
            }
        }
        record.completedAt = WallClock.nowNanoseconds()
        if let response {
            record.status = .completed
            record.response = response
        } else {
            record.status = .timedOut
        }
        try await self.registry.store.saveCommand(record)
        return record
    }

    /// Hands a response that arrived on `twin`'s response topic to the request waiting for it.
    /// - Returns: `false` when no request of that twin waits for this correlation (late, unknown, or another
    ///   twin's: a device cannot answer a command sent to a different twin).
    public func resolve(_ correlation: String, tenant: TenantID, twin: String, with response: JSONValue?) -> Bool {
        let waiting = self.pending.withLock { pending -> CheckedContinuation<JSONValue?, Never>? in
            guard let entry = pending[correlation], entry.tenant == tenant, entry.twin == twin else { return nil }
            pending[correlation] = nil
            return entry.continuation
        }
        guard let waiting else { return false }
        waiting.resume(returning: response)
        return true
    }

    /// Ends a request that timed out.
    private func expire(_ correlation: String) {
        self.pending.withLock { $0.removeValue(forKey: correlation) }?.continuation.resume(returning: nil)
    }

    /// The newest commands of a twin.
    public func history(twin: String, tenant: TenantID, limit: Int) async throws -> [CommandRecord] {
        _ = try self.registry.twin(twin, tenant: tenant)
        return try await self.registry.store.loadCommands(twin: twin, tenant: tenant, limit: limit)
    }
}
