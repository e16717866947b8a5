import Identity
import TwinGuardCore
import Twins

/// The platform's consumer of device messages: posture reports (`tg/{tenant}/{twin}/posture`) go to the
/// identity layer, everything else (telemetry, reported state, command responses) to the twins.
struct PlatformDeviceMessages: DeviceMessageHandler {
    let twins: DeviceTopics
    let identity: IdentityService

    static func isPosture(_ topic: String) -> Bool {
        topic.hasPrefix("tg/") && topic.hasSuffix("/posture")
    }

    func handles(topic: String) -> Bool {
        Self.isPosture(topic) || self.twins.handles(topic: topic)
    }

    func handle(
        topic: String, payload: [UInt8], correlationData: [UInt8]?, principal: Principal,
        completion: @escaping @Sendable (DeviceMessageOutcome) -> Void
    ) {
        guard Self.isPosture(topic) else {
            self.twins.handle(topic: topic, payload: payload, correlationData: correlationData, principal: principal, completion: completion)
            return
        }
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 4, principal.role == .device, levels[1] == principal.tenant.rawValue, levels[2] == principal.subject else {
            completion(.refused(.notAuthorized, reason: PostureError.notTheDevice.description))
            return
        }
        let identity = self.identity
        Task {
            do {
                _ = try await identity.receivePosture(payload, tenant: principal.tenant, twin: principal.subject)
                completion(.accepted)
            } catch {
                completion(.refused(.payloadFormatInvalid, reason: "\(error)"))
            }
        }
    }

    func handle(batch: [DeviceMessage], principal: Principal, completion: @escaping @Sendable ([DeviceMessageOutcome]) -> Void) {
        guard batch.contains(where: { Self.isPosture($0.topic) }) else {
            self.twins.handle(batch: batch, principal: principal, completion: completion)
            return
        }
        let collector = OutcomeCollector(count: batch.count, completion: completion)
        let others = batch.indices.filter { !Self.isPosture(batch[$0].topic) }
        if !others.isEmpty {
            self.twins.handle(batch: others.map { batch[$0] }, principal: principal) { outcomes in
                for (position, index) in others.enumerated() { collector.set(index, outcomes[position]) }
            }
        }
        for index in batch.indices where Self.isPosture(batch[index].topic) {
            let message = batch[index]
            self.handle(topic: message.topic, payload: message.payload, correlationData: message.correlationData, principal: principal) {
                collector.set(index, $0)
            }
        }
    }

    func presenceChanged(tenant: TenantID, clientID: String, online: Bool) {
        self.twins.presenceChanged(tenant: tenant, clientID: clientID, online: online)
    }
}
