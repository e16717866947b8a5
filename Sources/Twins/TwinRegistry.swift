import Foundation
import Logging
import Synchronization
import TimeSeries
import TwinGuardCore

/// The twins, models and tenants of a server, held in memory and written through to a ``TwinStore``.
///
/// API changes are saved before they return; twins that ingest creates on first write are saved within
/// the next flush (``flush()``, run each second and at shutdown), and rebuilt from the telemetry catalog
/// after a crash.
public final class TwinRegistry: Sendable {
    struct TenantState {
        var settings: TenantSettings
        var models: [String: TwinModel] = [:]
        var twins: [String: Twin] = [:]
        /// Line-protocol series (raw text) → what they map to; cleared when models or twins change.
        var bindings: [String: SeriesBinding] = [:]
    }

    struct TwinKey: Hashable {
        var tenant: TenantID
        var id: String
    }

    struct State {
        var tenants: [TenantID: TenantState] = [:]
        var dirty: Set<TwinKey> = []
        var lastSeen: [TwinKey: Int64] = [:]
        /// Twins whose device is connected now (client id = twin id); not persisted.
        var online: Set<TwinKey> = []
    }

    let state: Mutex<State>
    let store: any TwinStore
    let timeSeries: TimeSeriesStore
    let logger: Logger
    let flusher = Flusher()
    /// Sends a message to a device's topic (wired to the broker by the server).
    let deviceChannel: DeviceChannel
    /// Live events of twins, for streams.
    public let events = EventHub()

    /// Loads tenants, models and twins; creates the tenant `default` on a fresh data dir and re-creates
    /// twins that have telemetry but were not saved before a crash.
    public static func load(
        store: any TwinStore, timeSeries: TimeSeriesStore, deviceChannel: DeviceChannel, logger: Logger
    ) async throws -> TwinRegistry {
        var state = State()
        for tenant in try await store.loadTenants() { state.tenants[tenant.id] = TenantState(settings: tenant) }
        if state.tenants[.default] == nil {
            let settings = TenantSettings(id: .default)
            try await store.saveTenant(settings)
            state.tenants[.default] = TenantState(settings: settings)
        }
        for (tenant, model) in try await store.loadModels() { state.tenants[tenant]?.models[model.id] = model }
        for twin in try await store.loadTwins() { state.tenants[twin.tenant]?.twins[twin.id] = twin }
        let registry = TwinRegistry(state: state, store: store, timeSeries: timeSeries, deviceChannel: deviceChannel, logger: logger)
        try await registry.adoptOrphanSeries()
        return registry
    }

    private init(state: State, store: any TwinStore, timeSeries: TimeSeriesStore, deviceChannel: DeviceChannel, logger: Logger) {
        self.state = Mutex(state)
        self.store = store
        self.timeSeries = timeSeries
        self.deviceChannel = deviceChannel
        self.logger = logger
    }

    /// Twins whose telemetry reached the WAL but whose record did not reach the database (a crash within a
    /// second of their first write) are re-created as open twins.
    private func adoptOrphanSeries() async throws {
        let tenants = self.state.withLock { Array($0.tenants.keys) }
        var adopted = 0
        for tenant in tenants {
            for series in self.timeSeries.allSeries(tenant: tenant) {
                guard let twinID = series.key.tag(SeriesBinding.twinTag), Twin.isValidID(twinID) else { continue }
                let created = self.state.withLock { state -> Bool in
                    guard state.tenants[tenant]?.twins[twinID] == nil else { return false }
                    var twin = Twin(tenant: tenant, id: twinID, model: nil, now: WallClock.nowNanoseconds())
                    twin.tags = Dictionary(series.key.tags.filter { $0.key != SeriesBinding.twinTag }.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
                    for column in series.columns { twin.learnedFields[column.field] = column.type }
                    state.tenants[tenant]?.twins[twinID] = twin
                    state.dirty.insert(TwinKey(tenant: tenant, id: twinID))
                    return true
                }
                if created { adopted += 1 }
            }
        }
        if adopted > 0 {
            self.logger.warning("twins re-created from stored telemetry after an unclean stop", metadata: ["twins.count": "\(adopted)"])
            try await self.flush()
        }
    }

    // MARK: Tenants

    /// The settings of every tenant.
    public func tenants() -> [TenantSettings] {
        self.state.withLock { $0.tenants.values.map(\.settings).sorted { $0.id.rawValue < $1.id.rawValue } }
    }

    /// Whether `tenant` exists.
    public func tenantExists(_ tenant: TenantID) -> Bool {
        self.state.withLock { $0.tenants[tenant] != nil }
    }

    /// Creates a tenant (idempotent, as InfluxDB's CREATE DATABASE).
    public func createTenant(_ tenant: TenantID, strict: Bool = false) async throws {
        let created = self.state.withLock { state -> TenantSettings? in
            guard state.tenants[tenant] == nil else { return nil }
            let settings = TenantSettings(id: tenant, strict: strict)
            state.tenants[tenant] = TenantState(settings: settings)
            return settings
        }
        if let created { try await self.store.saveTenant(created) }
    }

    /// Changes a tenant's settings (strict mode, retention, tiers) and saves them.
    public func updateSettings(tenant: TenantID, _ change: (inout TenantSettings) -> Void) async throws {
        let settings = try self.state.withLock { state throws(TwinError) -> TenantSettings in
            guard state.tenants[tenant] != nil else { throw TwinError(.notFound, "No tenant '\(tenant)'.") }
            change(&state.tenants[tenant]!.settings)
            // Strict mode decides how unknown series bind.
            state.tenants[tenant]!.bindings.removeAll()
            return state.tenants[tenant]!.settings
        }
        try await self.store.saveTenant(settings)
    }

    // MARK: Persistence

    /// Saves every twin changed since the last flush.
    public func flush() async throws {
        try await self.flusher.run {
            let twins = self.state.withLock { state -> [Twin] in
                let keys = state.dirty
                state.dirty.removeAll()
                return keys.compactMap { key in
                    guard var twin = state.tenants[key.tenant]?.twins[key.id] else { return nil }
                    if let seen = state.lastSeen[key] { twin.lastSeen = max(twin.lastSeen ?? 0, seen) }
                    return twin
                }
            }
            do {
                try await self.store.saveTwins(twins)
            } catch {
                self.state.withLock { state in
                    for twin in twins { state.dirty.insert(TwinKey(tenant: twin.tenant, id: twin.id)) }
                }
                throw error
            }
        }
    }

    /// Records when a twin was last heard from (kept in memory, saved with the next change or at shutdown).
    func markSeen(_ tenant: TenantID, _ ids: some Sequence<String>, at time: Int64) {
        self.state.withLock { state in
            for id in ids { state.lastSeen[TwinKey(tenant: tenant, id: id)] = time }
        }
    }

    /// Marks a twin online or offline as its device connects and disconnects. A client id that names no
    /// twin yet is remembered too: a device's first telemetry often creates its twin after it connected.
    public func setPresence(_ online: Bool, twin id: String, tenant: TenantID) {
        let key = TwinKey(tenant: tenant, id: id)
        let now = WallClock.nowNanoseconds()
        let changedTwin = self.state.withLock { state -> Bool in
            let changed = online ? state.online.insert(key).inserted : state.online.remove(key) != nil
            guard state.tenants[tenant]?.twins[id] != nil else { return false }
            state.lastSeen[key] = now
            return changed
        }
        if changedTwin {
            self.events.publish(TwinEvent(kind: "presence", tenant: tenant, twin: id, data: .object(["online": .bool(online)])))
        }
    }

    /// Whether a twin's device is connected.
    public func isOnline(_ id: String, tenant: TenantID) -> Bool {
        self.state.withLock { $0.online.contains(TwinKey(tenant: tenant, id: id)) }
    }

    /// Saves last-seen times of every twin (at shutdown).
    public func flushAll() async throws {
        self.state.withLock { state in
            for key in state.lastSeen.keys { state.dirty.insert(key) }
        }
        try await self.flush()
    }
}

/// Serializes flushes so that an older snapshot never overwrites a newer one (an actor alone would not:
/// it is re-entered at every `await`).
actor Flusher {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run(_ body: @Sendable () async throws -> Void) async throws {
        while self.busy {
            await withCheckedContinuation { self.waiting.append($0) }
        }
        self.busy = true
        defer {
            self.busy = false
            if !self.waiting.isEmpty { self.waiting.removeFirst().resume() }
        }
        try await body()
    }
}

/// Delivers server-originated messages to devices (desired state, commands); the broker implements it.
public struct DeviceChannel: Sendable {
    /// Publishes `payload` to `topic` (relative to the tenant) with QoS 1, optionally retained.
    public var publish: @Sendable (_ tenant: TenantID, _ topic: String, _ payload: [UInt8], _ retain: Bool) -> Void
    /// Publishes a request with QoS 1 and MQTT 5's response topic and correlation data.
    public var request: @Sendable (_ tenant: TenantID, _ topic: String, _ payload: [UInt8], _ responseTopic: String, _ correlation: [UInt8]) -> Void

    public init(
        publish: @escaping @Sendable (TenantID, String, [UInt8], Bool) -> Void,
        request: @escaping @Sendable (TenantID, String, [UInt8], String, [UInt8]) -> Void
    ) {
        self.publish = publish
        self.request = request
    }

    /// A channel that drops everything (tests, tools).
    public static let none = DeviceChannel(publish: { _, _, _, _ in }, request: { _, _, _, _, _ in })
}
