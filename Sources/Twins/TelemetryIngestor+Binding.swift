import Synchronization
import TimeSeries
import TwinGuardCore

extension TelemetryIngestor {
    /// Series bindings cached per tenant before the cache starts over.
    static let maximumCachedBindings = 200_000

    /// Binds points to series, checks them against their twin's model and writes the good ones.
    func store(_ points: [PendingPoint], tenant: TenantID, now: Int64, into report: inout IngestReport) {
        guard !points.isEmpty else { return }
        var rows: [TimeSeriesStore.Row] = []
        rows.reserveCapacity(points.count)
        var rowLocations: [(String, Int)] = []
        var rowTwins: [String] = []
        var seen: Set<String> = []
        var lastTwin = ""
        var observed: [(row: Int, point: ObservedPoint)] = []
        // When analytics are behind, only count what they miss (no point is built for them).
        let observing = self.observer?.isAccepting ?? false
        var missed = 0
        self.registry.state.withLock { state in
            let watchOpenModels = self.observer != nil && state.tenants[tenant]?.settings.anomalyDetection == true
            guard state.tenants[tenant] != nil else {
                for message in Set(points.map(\.message)).sorted() {
                    report.reject("$", "database not found: \"\(tenant)\"", inMessage: message)
                }
                return
            }
            for point in points {
                // One check for every path in (JSON, line protocol, MQTT, HTTP): later range arithmetic relies on it.
                guard TimeBounds.contains(point.timestamp) else {
                    report.reject(point.location, TelemetryIngestor.TimestampProblem.outOfRange.message, inMessage: point.message)
                    continue
                }
                let binding: SeriesBinding
                switch self.bind(point.rawSeries, fixedTwin: point.fixedTwin, tenant: tenant, now: now, state: &state, report: &report) {
                case .success(let found): binding = found
                case .failure(let failure):
                    report.reject(point.location, failure.reason, inMessage: point.message)
                    continue
                }
                var fields = point.fields
                if let problem = Self.check(&fields, binding: binding, tenant: tenant, at: point, state: &state, report: &report) {
                    report.reject(point.location, problem, inMessage: point.message)
                    continue
                }
                if self.observer != nil, let plan = binding.plan, binding.fromModel || watchOpenModels {
                    if !observing {
                        missed += min(fields.count, plan.watchedCount)
                    } else if let observation = Self.observation(fields, binding: binding, plan: plan, timestamp: point.timestamp) {
                        observed.append((rows.count, observation))
                    }
                }
                rows.append(TimeSeriesStore.Row(series: binding.series, timestamp: point.timestamp, fields: fields))
                rowLocations.append((point.location, point.message))
                rowTwins.append(binding.twinID)
                if binding.twinID != lastTwin {
                    seen.insert(binding.twinID)
                    lastTwin = binding.twinID
                }
            }
        }
        guard !rows.isEmpty else { return }
        let receipt = self.timeSeries.append(rows)
        for (row, error) in receipt.rejected {
            report.reject(rowLocations[row].0, error.message, inMessage: rowLocations[row].1)
        }
        report.accepted += receipt.accepted
        report.receipt = receipt
        self.pointsAccepted.add(receipt.accepted, ordering: .relaxed)
        self.registry.markSeen(tenant, seen, at: now)
        if missed > 0 { self.observer?.shed(missed) }
        if let observer = self.observer, !observed.isEmpty {
            let refused = Set(receipt.rejected.map(\.row))
            observer.observe(tenant: tenant, points: observed.filter { !refused.contains($0.row) }.map(\.point))
        }
        if self.registry.events.hasSubscribers {
            self.publishEvents(rows, rejected: Set(receipt.rejected.map(\.row)), twins: rowTwins, tenant: tenant, report: report)
        }
    }

    /// Live telemetry events: one per stored point, one per flagged value.
    private func publishEvents(
        _ rows: [TimeSeriesStore.Row], rejected: Set<Int>, twins: [String], tenant: TenantID, report: IngestReport
    ) {
        for (index, row) in rows.enumerated() where !rejected.contains(index) {
            var values: [String: JSONValue] = [:]
            for (name, value) in row.fields {
                switch value {
                case .double(let number): values[name] = .number(number)
                case .integer(let number): values[name] = .integer(number)
                case .boolean(let flag): values[name] = .bool(flag)
                case .string(let text): values[name] = .string(text)
                }
            }
            self.registry.events.publish(TwinEvent(kind: "telemetry", tenant: tenant, twin: twins[index], time: row.timestamp, data: .object(values)))
        }
        for (issue, twin) in zip(report.flagged, report.flaggedTwins) {
            self.registry.events.publish(TwinEvent(
                kind: "telemetry.flagged", tenant: tenant, twin: twin, data: .object(["at": .string(issue.path), "reason": .string(issue.message)])))
        }
    }

    /// The values of a point that its binding's plan watches, in the plan's order; `nil` when none.
    private static func observation(
        _ fields: [(String, FieldValue)], binding: SeriesBinding, plan: WatchPlan, timestamp: Int64
    ) -> ObservedPoint? {
        var values = [Double](repeating: .nan, count: plan.fields.count)
        var any = false
        for (index, (name, value)) in fields.enumerated() {
            guard let position = binding.ruleIndex(name, hint: index), position < values.count, plan.fields[position].isWatched,
                let number = value.numeric
            else { continue }
            values[position] = number
            any = true
        }
        return any ? ObservedPoint(twin: binding.twinID, timestamp: timestamp, plan: plan, values: values) : nil
    }

    /// The binding of a raw series, from the cache or made now (creating the twin when allowed).
    private func bind(
        _ rawSeries: String, fixedTwin: String?, tenant: TenantID, now: Int64, state: inout TwinRegistry.State,
        report: inout IngestReport
    ) -> Result<SeriesBinding, BindingFailure> {
        let cacheKey = fixedTwin.map { rawSeries + "\u{0}" + $0 } ?? rawSeries
        if let cached = state.tenants[tenant]!.bindings[cacheKey] { return .success(cached) }
        let measurement: String
        var tags: [Tag]
        if fixedTwin != nil && rawSeries == Self.jsonMeasurement {
            (measurement, tags) = (rawSeries, [])
        } else {
            do {
                (measurement, tags) = try LineProtocol.parseSeries(rawSeries)
            } catch {
                return .failure(BindingFailure(reason: "unable to parse '\(rawSeries)': \(error.reason)"))
            }
        }
        let tagged = tags.first { $0.key == SeriesBinding.twinTag }?.value
        let twinID: String
        if let fixedTwin {
            if let tagged, tagged != fixedTwin {
                return .failure(BindingFailure(reason: "the twin tag '\(tagged)' differs from the topic's twin '\(fixedTwin)'"))
            }
            twinID = fixedTwin
        } else {
            twinID = tagged ?? SeriesBinding.derivedTwinID(measurement: measurement, tags: tags)
        }
        guard Twin.isValidID(twinID) else { return .failure(BindingFailure(reason: "'\(twinID)' is not a valid twin id")) }
        if tagged == nil { tags.append(Tag(SeriesBinding.twinTag, twinID)) }
        var tenantState = state.tenants[tenant]!
        if tenantState.twins[twinID] == nil && tenantState.settings.strict {
            return .failure(BindingFailure(reason: "unknown series for twin '\(twinID)': tenant '\(tenant)' is strict, create the twin first"))
        }
        let series: SeriesID
        do {
            series = try self.timeSeries.series(for: SeriesKey(tenant: tenant, measurement: measurement, tags: tags))
        } catch {
            return .failure(BindingFailure(reason: error.message))
        }
        if tenantState.twins[twinID] == nil {
            var twin = Twin(tenant: tenant, id: twinID, model: nil, now: now)
            twin.tags = Dictionary(tags.filter { $0.key != SeriesBinding.twinTag }.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
            tenantState.twins[twinID] = twin
            state.dirty.insert(TwinRegistry.TwinKey(tenant: tenant, id: twinID))
            report.createdTwins.append(twinID)
        }
        let twin = tenantState.twins[twinID]!
        let binding: SeriesBinding
        if let model = twin.model {
            let telemetry = TwinRegistry.flatten(model, in: tenantState.models).telemetry
            binding = SeriesBinding(
                twinID: twinID, modelID: model, series: series, fromModel: true,
                rules: SeriesBinding.rules(from: telemetry, rul: tenantState.models[model]?.rul), cacheKey: cacheKey)
        } else {
            let learned = twin.learnedFields.sorted { $0.key < $1.key }.map { SeriesBinding.FieldRule(name: $0.key, type: $0.value) }
            binding = SeriesBinding(twinID: twinID, series: series, fromModel: false, rules: learned, cacheKey: cacheKey)
        }
        // The cache is keyed by the raw text, which the same series can spell many ways (tag order):
        // bound it so that such input cannot grow it without end.
        if tenantState.bindings.count >= Self.maximumCachedBindings { tenantState.bindings.removeAll(keepingCapacity: true) }
        tenantState.bindings[cacheKey] = binding
        state.tenants[tenant] = tenantState
        return .success(binding)
    }

    /// Checks fields against the model (converting numbers to the declared type) or, for an open model,
    /// against the types learned so far (learning new fields). Returns why the point is refused.
    private static func check(
        _ fields: inout [(String, FieldValue)], binding: SeriesBinding, tenant: TenantID, at point: PendingPoint,
        state: inout TwinRegistry.State, report: inout IngestReport
    ) -> String? {
        var learned: [SeriesBinding.FieldRule] = []
        for index in fields.indices {
            let (name, value) = fields[index]
            guard let rule = binding.rule(name, hint: index) else {
                if binding.fromModel {
                    return "unknown field '\(name)': the model of twin '\(binding.twinID)' declares \(binding.rules.map(\.name).sorted().joined(separator: ", "))"
                }
                learned.append(SeriesBinding.FieldRule(name: name, type: value.type))
                continue
            }
            switch (rule.type, value) {
            case (.double, .double), (.integer, .integer), (.boolean, .boolean), (.string, .string):
                break
            case (.double, .integer(let number)):
                if binding.fromModel { fields[index].1 = .double(Double(number)) }
            case (.integer, .double(let number)) where binding.fromModel && number == number.rounded() && abs(number) < 9e18:
                fields[index].1 = .integer(Int64(number))
            default:
                return binding.fromModel
                    ? "field '\(name)' must be \(rule.type), got \(value.type)"
                    : "field type conflict: field '\(name)' of twin '\(binding.twinID)' is \(rule.type), got \(value.type)"
            }
            if let range = rule.range, let number = fields[index].1.numeric, !range.contains(number) {
                report.flaggedTwins.append(binding.twinID)
                report.flagged.append(.init(
                    path: point.location,
                    message: "field '\(name)' = \(number) is outside the expected range [\(range.min.map { "\($0)" } ?? "-inf"), \(range.max.map { "\($0)" } ?? "inf")]"))
            }
        }
        if !learned.isEmpty {
            // An open model learns new fields; the first type sticks, also across the twin's other series.
            let known = state.tenants[tenant]!.twins[binding.twinID]?.learnedFields ?? [:]
            for (position, rule) in learned.enumerated() {
                guard let type = known[rule.name] else { continue }
                guard type == rule.type || (type == .double && rule.type == .integer) else {
                    return "field type conflict: field '\(rule.name)' of twin '\(binding.twinID)' is \(type), got \(rule.type)"
                }
                learned[position].type = type
            }
            var updated = binding
            for rule in learned where updated.rules.allSatisfy({ $0.name != rule.name }) {
                updated.rules.append(rule)
                state.tenants[tenant]!.twins[binding.twinID]?.learnedFields[rule.name] = rule.type
            }
            updated.plan = SeriesBinding.plan(updated.rules, model: updated.modelID, fromModel: updated.fromModel)
            state.tenants[tenant]!.bindings[binding.cacheKey] = updated
            state.dirty.insert(TwinRegistry.TwinKey(tenant: tenant, id: binding.twinID))
        }
        return nil
    }
}

/// Why a series could not be bound to a twin.
struct BindingFailure: Error {
    var reason: String
}
