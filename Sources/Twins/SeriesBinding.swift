import TimeSeries
import TwinGuardCore

/// What one telemetry series maps to: its twin, its series in the store, and the model's telemetry
/// definitions (`nil` for an open model, which learns its fields).
struct SeriesBinding: Sendable {
    /// The tag that names the twin of every series.
    static let twinTag = "twin"

    let twinID: String
    /// The twin's model, when it has one.
    let modelID: String?
    let series: SeriesID
    /// Whether the rules come from a model (fixed) or were learned (an open model grows them).
    let fromModel: Bool
    /// The known fields in the order points usually carry them, so a check is a positional compare.
    var rules: [FieldRule]
    /// The key of this binding in the tenant's cache.
    let cacheKey: String

    /// What a field must be.
    struct FieldRule: Sendable {
        var name: String
        var type: FieldType
        var range: ExpectedRange?
        /// Anomaly detection on the field, when the model turns it on.
        var anomaly: AnomalyDetectionSettings? = nil
        /// Alert rules of the field.
        var alerts: [AlertRuleDefinition] = []
        /// Whether the model's remaining-useful-life estimate reads it.
        var feedsRUL = false
    }

    /// What analytics watch in this series' points: the model's watched fields, or (used only where the
    /// tenant opted in) every numeric field of an open model; `nil` when there is nothing to watch.
    var plan: WatchPlan?

    init(twinID: String, modelID: String? = nil, series: SeriesID, fromModel: Bool, rules: [FieldRule], cacheKey: String) {
        self.twinID = twinID
        self.modelID = modelID
        self.series = series
        self.fromModel = fromModel
        self.rules = rules
        self.cacheKey = cacheKey
        self.plan = Self.plan(rules, model: modelID, fromModel: fromModel)
    }

    /// The plan of a set of rules, one watched field per rule (in the same order).
    static func plan(_ rules: [FieldRule], model: String?, fromModel: Bool) -> WatchPlan? {
        let fields = rules.map { rule in
            fromModel
                ? WatchedField(name: rule.name, anomaly: rule.anomaly, alerts: rule.alerts, feedsRUL: rule.feedsRUL)
                : WatchedField(name: rule.name, anomaly: rule.type == .double || rule.type == .integer ? AnomalyDetectionSettings() : nil)
        }
        return fields.contains(where: \.isWatched) ? WatchPlan(model: model, fields: fields) : nil
    }

    /// The position of the rule for `name`, trying position `hint` first.
    @inline(__always) func ruleIndex(_ name: String, hint: Int) -> Int? {
        if hint < self.rules.count, self.rules[hint].name == name { return hint }
        return self.rules.firstIndex { $0.name == name }
    }

    /// The rule for `name`, trying position `hint` first.
    @inline(__always) func rule(_ name: String, hint: Int) -> FieldRule? {
        self.ruleIndex(name, hint: hint).map { self.rules[$0] }
    }

    static func rules(from telemetry: [TelemetryDefinition], rul: RULBinding? = nil) -> [FieldRule] {
        let rulFields = rul?.fields ?? []
        return telemetry.compactMap { definition in
            let type: FieldType? =
                switch definition.schema {
                case .double: .double
                case .integer: .integer
                case .boolean: .boolean
                case .string, .enum: .string
                case .object: nil
                }
            return type.map {
                FieldRule(
                    name: definition.name, type: $0, range: definition.expectedRange,
                    anomaly: definition.anomaly.flatMap { $0.isOn ? $0 : nil }, alerts: definition.alerts ?? [],
                    feedsRUL: rulFields.contains(definition.name))
            }
        }
    }

    /// A twin id for a line-protocol series without a `twin` tag: measurement and tag values joined by
    /// dots, characters outside the id alphabet replaced by `_`, long ids shortened with a hash.
    static func derivedTwinID(measurement: String, tags: [Tag]) -> String {
        let joined = ([measurement] + tags.map(\.value)).joined(separator: ".")
        var id = String(joined.unicodeScalars.map { scalar -> Character in
            let allowed = scalar.isASCII && (CharacterSet.alphanumerics(scalar) || ".-_:".unicodeScalars.contains(scalar))
            return allowed ? Character(scalar) : "_"
        })
        if id.utf8.count > 128 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, stable across runs
            for byte in joined.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            id = String(id.prefix(110)) + "~" + String(hash, radix: 16)
        }
        return id
    }
}

private enum CharacterSet {
    static func alphanumerics(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
