import Analytics
import Synchronization
import Testing
import TwinGuardCore

/// What a callback was given, for checking afterwards.
final class Recorder<Item: Sendable>: Sendable {
    private let items = Mutex<[Item]>([])
    func add(_ item: Item) { self.items.withLock { $0.append(item) } }
    var all: [Item] { self.items.withLock { $0 } }
}

@Suite("Live analytics")
struct LiveAnalyticsTests {
    let tenant = TenantID(unchecked: "t")

    func engine() -> (AlertEngine, Recorder<String>) {
        let changes = Recorder<String>()
        let engine = AlertEngine { change in changes.add("\(change.event) \(change.alert.rule) \(change.alert.occurrences)") }
        return (engine, changes)
    }

    @Test("a threshold rule fires once, holds within its hysteresis, clears, and de-duplicates until resolved")
    func threshold() throws {
        let (engine, changes) = self.engine()
        let rule = AlertRuleDefinition(name: "hot", kind: .threshold, above: 80, hysteresis: 5)
        for (index, value) in [70.0, 85, 90, 76, 74, 88].enumerated() {
            engine.evaluate(tenant: self.tenant, twin: "m", field: "t", value: value, time: Int64(index) * 1_000_000_000, rules: [rule])
        }
        #expect(changes.all == ["alert.fired hot 1", "alert.cleared hot 1", "alert.fired hot 2"])
        let alert = try #require(engine.alerts(tenant: self.tenant).first)
        #expect(engine.alerts(tenant: self.tenant).count == 1 && alert.value == 85 && alert.lastValue == 88 && alert.active)
        _ = try engine.resolve(alert.id, tenant: self.tenant, by: "ops", note: nil)
        #expect(throws: AnalyticsError.self) { try engine.resolve(alert.id, tenant: self.tenant, by: "ops", note: nil) }
        #expect(try engine.acknowledge(alert.id, tenant: TenantID(unchecked: "other"), by: "x", note: nil) == nil)
        // Resolved while still hot: a new violation after it clears is a new alert.
        engine.evaluate(tenant: self.tenant, twin: "m", field: "t", value: 10, time: 7_000_000_000, rules: [rule])
        engine.evaluate(tenant: self.tenant, twin: "m", field: "t", value: 99, time: 8_000_000_000, rules: [rule])
        #expect(engine.alerts(tenant: self.tenant).count == 2 && engine.alerts(tenant: self.tenant, status: .open).count == 1)
    }

    @Test("rate and absence rules")
    func rateAndAbsence() {
        let (engine, changes) = self.engine()
        let rules = [
            AlertRuleDefinition(name: "fast", kind: .rate, below: -2), AlertRuleDefinition(name: "quiet", kind: .absence, seconds: 5),
        ]
        engine.evaluate(tenant: self.tenant, twin: "m", field: "p", value: 10, time: 0, rules: rules, arrived: 0)
        engine.evaluate(tenant: self.tenant, twin: "m", field: "p", value: 9, time: 1_000_000_000, rules: rules, arrived: 1_000_000_000)
        engine.evaluate(tenant: self.tenant, twin: "m", field: "p", value: 3, time: 2_000_000_000, rules: rules, arrived: 2_000_000_000)
        engine.checkAbsence(now: 6_000_000_000)
        engine.checkAbsence(now: 8_000_000_000)
        engine.evaluate(tenant: self.tenant, twin: "m", field: "p", value: 3, time: 9_000_000_000, rules: rules, arrived: 9_000_000_000)
        #expect(changes.all == ["alert.fired fast 1", "alert.fired quiet 1", "alert.cleared fast 1", "alert.cleared quiet 1"])

        // A device whose clock runs an hour ahead is still missed after 5 s: absence counts from arrival.
        let (other, seen) = self.engine()
        other.evaluate(tenant: self.tenant, twin: "m", field: "q", value: 1, time: 3_600_000_000_000, rules: rules, arrived: 0)
        other.checkAbsence(now: 6_000_000_000)
        #expect(seen.all == ["alert.fired quiet 1"])
    }

    @Test("when the worker falls behind, the queue sheds analytics work and counts it")
    func shedding() async {
        let watch = TelemetryWatch(limits: { var limits = TelemetryWatch.Limits(); limits.queuedBatches = 4; return limits }(), alerts: AlertEngine { _ in }, rul: try! RULTracker(directory: nil)) { _ in }
        let plan = WatchPlan(model: nil, fields: [WatchedField(name: "x", anomaly: AnomalyDetectionSettings()), WatchedField(name: "y", anomaly: nil)])
        let point = ObservedPoint(twin: "m", timestamp: 0, plan: plan, values: [1, .nan])
        for _ in 0..<10 { watch.observe(tenant: self.tenant, points: [point, point]) }
        #expect(watch.statistics.valuesShed == 12)
        watch.finish()
        await watch.run()
        #expect(watch.statistics.valuesScored == 8 && watch.statistics.detectors == 1)

        // The bound in values: a batch that would exceed it is shed whole.
        let small = TelemetryWatch(limits: { var limits = TelemetryWatch.Limits(); limits.queuedValues = 5; return limits }(), alerts: AlertEngine { _ in }, rul: try! RULTracker(directory: nil)) { _ in }
        for _ in 0..<10 { small.observe(tenant: self.tenant, points: [point, point]) }
        #expect(small.statistics.valuesShed == 16)
    }

    @Test("a spike in a watched field becomes one anomaly event with its expected range")
    func anomalyEvents() async {
        let events = Recorder<AnomalyEvent>()
        let watch = TelemetryWatch(alerts: AlertEngine { _ in }, rul: try! RULTracker(directory: nil)) { event in events.add(event) }
        var random = TestRandom(state: 5)
        let plan = WatchPlan(model: nil, fields: [WatchedField(name: "x", anomaly: AnomalyDetectionSettings(warmUp: 20))])
        for index in 0..<400 {
            let value = index == 300 ? 40 : 10 + random.gaussian()
            watch.observe(tenant: self.tenant, points: [ObservedPoint(twin: "m", timestamp: Int64(index) * 1_000_000_000, plan: plan, values: [value])])
        }
        watch.finish()
        await watch.run()
        let found = events.all
        #expect(found.count == 1 && found.first?.value == 40 && found.first?.kind == .spike)
        #expect(watch.recentAnomalies(tenant: self.tenant, twin: "m").count == 1)
        watch.forget(tenant: self.tenant, twin: "m")
        #expect(watch.recentAnomalies(tenant: self.tenant, twin: "m").isEmpty)
    }
}
