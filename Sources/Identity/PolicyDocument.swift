import Foundation
import Synchronization
import TwinGuardCore

/// An access policy as data: the topics a set of principals may publish and subscribe to.
///
/// Filters may use `{tenant}` and `{twin}` (the principal's own), so one document serves a whole fleet.
/// Documents add up: a device may do what any document that applies to it grants. The built-in
/// ``PolicyDocument/deviceDefault`` gives every device its own twin's topics and nothing else.
public struct PolicyDocument: Codable, Sendable, Equatable {
    /// Who a document applies to.
    public struct Subjects: Codable, Sendable, Equatable {
        /// Every principal with this role.
        public var role: Role?
        /// These twins (devices) by id.
        public var twins: [String]?
        /// Devices in these groups: a twin's `group` tag, or `model:<model id>` for every twin of a model.
        public var groups: [String]?

        public init(role: Role? = nil, twins: [String]? = nil, groups: [String]? = nil) {
            self.role = role
            self.twins = twins
            self.groups = groups
        }
    }

    public var id: String
    public var description: String
    public var appliesTo: Subjects
    public var publish: [String]
    public var subscribe: [String]

    public init(id: String, description: String, appliesTo: Subjects, publish: [String], subscribe: [String]) {
        self.id = id
        self.description = description
        self.appliesTo = appliesTo
        self.publish = publish
        self.subscribe = subscribe
    }

    /// What every device may do: report on its own twin and receive its own desired state and commands.
    public static let deviceDefault = PolicyDocument(
        id: "device-default",
        description: "A device publishes telemetry, reported state, events, posture and command responses of its own twin, and receives its desired state and commands.",
        appliesTo: Subjects(role: .device),
        publish: [
            "tg/{tenant}/{twin}/telemetry", "tg/{tenant}/{twin}/reported", "tg/{tenant}/{twin}/events", "tg/{tenant}/{twin}/posture",
            "tg/{tenant}/{twin}/commands/+/response",
        ],
        subscribe: ["tg/{tenant}/{twin}/desired", "tg/{tenant}/{twin}/commands/#"])

    func applies(to principal: Principal, groups: Set<String>) -> Bool {
        if let role = self.appliesTo.role, role == principal.role { return true }
        guard principal.role == .device else { return false }
        if let twins = self.appliesTo.twins, twins.contains(principal.subject) { return true }
        if let wanted = self.appliesTo.groups, !groups.isDisjoint(with: wanted) { return true }
        return false
    }

    func patterns(_ filters: [String], for principal: Principal) -> [TopicPattern] {
        filters.map {
            TopicPattern(
                $0.replacingOccurrences(of: "{tenant}", with: principal.tenant.rawValue)
                    .replacingOccurrences(of: "{twin}", with: principal.subject))
        }
    }
}

/// Why a policy document was refused.
public enum PolicyError: Error, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let reason): reason
        }
    }
}

extension IdentityService {
    /// The policy documents of `tenant` besides the built-in device policy.
    public func policies(tenant: TenantID) -> [PolicyDocument] {
        self.state.withLock { $0.policies[tenant] ?? [] }
    }

    /// Replaces the policy documents of `tenant`; they apply from the next message on.
    public func setPolicies(_ documents: [PolicyDocument], tenant: TenantID, actor: String) async throws {
        for document in documents {
            guard !document.id.isEmpty,
                document.appliesTo.role != nil || !(document.appliesTo.twins ?? []).isEmpty || !(document.appliesTo.groups ?? []).isEmpty
            else {
                throw PolicyError.invalid("policy '\(document.id)' must apply to a role, twins or groups")
            }
            for filter in document.publish + document.subscribe {
                let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
                guard !filter.isEmpty, levels.enumerated().allSatisfy({ index, level in
                    (level == "#" && index == levels.count - 1) || level == "+" || (!level.contains("#") && !level.contains("+"))
                }) else {
                    throw PolicyError.invalid("policy '\(document.id)': '\(filter)' is not a valid topic filter")
                }
            }
        }
        let data = try JSONEncoder().encode(documents)
        try await self.store.saveSetting(key: "policies/\(tenant.rawValue)", document: Array(data))
        self.state.withLock { state in
            state.policies[tenant] = documents
            state.policyGeneration += 1
        }
        try await self.audit.record(
            tenant: tenant, actor: actor, action: "policy.topics", target: tenant.rawValue, outcome: "success",
            detail: String(decoding: data, as: UTF8.self))
    }

    /// Twins with at least one certificate in `tenant`.
    public func enrolledTwins(tenant: TenantID) -> Set<String> {
        self.state.withLock { Set($0.serialsByDevice.keys.filter { $0.tenant == tenant }.map(\.twin)) }
    }
}
