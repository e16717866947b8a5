import TwinGuardCore

/// Runs a ``TwinQuery`` over a tenant's twins.
public struct TwinQueryExecutor: Sendable {
    /// What a query returns.
    public enum Result: Sendable {
        /// `SELECT *`: the twins (with MATCH, the targets), in order.
        case twins([Twin])
        /// `SELECT path, …`: one object per row, keyed by the alias or the path.
        case rows([[String: JSONValue]])
        case count(Int)
    }

    let registry: TwinRegistry
    /// The newest telemetry values of a twin, for `telemetry.<field>` paths.
    let telemetry: @Sendable (Twin) -> [String: FieldValue]

    public init(registry: TwinRegistry, telemetry: @escaping @Sendable (Twin) -> [String: FieldValue]) {
        self.registry = registry
        self.telemetry = telemetry
    }

    /// Runs `query` in `tenant`.
    public func run(_ query: TwinQuery, tenant: TenantID) -> Result {
        let twins = self.registry.allTwins(tenant: tenant)
        var bindings: [[String: Twin]] = []
        let target = query.match?.target ?? ""
        if let match = query.match {
            let byID = Dictionary(twins.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for source in twins.sorted(by: { $0.id < $1.id }) {
                for reached in Self.reach(from: source, match: match, byID: byID) {
                    bindings.append([match.source: source, match.target: reached, "": reached])
                }
            }
        } else {
            bindings = twins.map { ["": $0] }
        }
        var cache: [String: [String: FieldValue]] = [:]
        let telemetry = { (twin: Twin) -> [String: FieldValue] in
            if let known = cache[twin.id] { return known }
            let values = self.telemetry(twin)
            cache[twin.id] = values
            return values
        }
        var rows = bindings.filter { binding in
            query.condition.map { Self.evaluate($0, binding, telemetry) } ?? true
        }
        if let order = query.orderBy {
            rows.sort { lhs, rhs in
                let a = Self.value(order, lhs, telemetry)
                let b = Self.value(order, rhs, telemetry)
                switch (a, b) {
                case (nil, nil): return (lhs[""]?.id ?? "") < (rhs[""]?.id ?? "")
                case (nil, _): return false
                case (_, nil): return true
                case (let x?, let y?):
                    let ordered = Self.compare(x, y)
                    if ordered == 0 { return (lhs[""]?.id ?? "") < (rhs[""]?.id ?? "") }
                    return query.descending ? ordered > 0 : ordered < 0
                }
            }
        } else {
            let source = query.match?.source ?? ""
            rows.sort { lhs, rhs in
                (lhs[""]?.id ?? "", lhs[source]?.id ?? "") < (rhs[""]?.id ?? "", rhs[source]?.id ?? "")
            }
        }
        switch query.projection {
        case .count:
            return .count(query.match == nil ? rows.count : Set(rows.compactMap { $0[target]?.id }).count)
        case .all:
            var seen = Set<String>()
            var result: [Twin] = []
            for row in rows {
                guard let twin = row[""], seen.insert(twin.id).inserted else { continue }
                result.append(twin)
            }
            if let limit = query.limit { result = Array(result.prefix(limit)) }
            return .twins(result)
        case .items(let items):
            var seen = Set<[String: JSONValue]>()
            var result: [[String: JSONValue]] = []
            for row in rows {
                var object: [String: JSONValue] = [:]
                for (path, alias) in items {
                    object[alias ?? path.description] = Self.value(path, row, telemetry) ?? .null
                }
                if seen.insert(object).inserted { result.append(object) }
            }
            if let limit = query.limit { result = Array(result.prefix(limit)) }
            return .rows(result)
        }
    }

    /// Twins reached from `source` along `match.relationship` in `minimumHops...maximumHops` steps.
    static func reach(from source: Twin, match: TwinQuery.Match, byID: [String: Twin]) -> [Twin] {
        var frontier = [source]
        var visited: Set<String> = [source.id]
        var found: [Twin] = []
        for depth in 1...match.maximumHops {
            var next: [Twin] = []
            for twin in frontier {
                for relationship in twin.relationships where relationship.name == match.relationship {
                    guard let reached = byID[relationship.target], visited.insert(reached.id).inserted else { continue }
                    next.append(reached)
                    if depth >= match.minimumHops { found.append(reached) }
                }
            }
            frontier = next
            if frontier.isEmpty { break }
        }
        return found
    }

    static func value(_ path: TwinQuery.Path, _ binding: [String: Twin], _ telemetry: (Twin) -> [String: FieldValue]) -> JSONValue? {
        guard let twin = binding[path.alias ?? ""] else { return nil }
        switch path.segments[0] {
        case "id": return .string(twin.id)
        case "model": return twin.model.map { .string($0) }
        case "lastSeen": return twin.lastSeen.map { .string(RFC3339.format($0)) }
        case "tags": return twin.tags[path.segments[1]].map { .string($0) }
        case "reported": return twin.reported[path.segments[1]]?.value
        case "desired": return twin.desired[path.segments[1]]?.value
        case "telemetry":
            switch telemetry(twin)[path.segments[1]] {
            case .double(let number)?: return .number(number)
            case .integer(let number)?: return .integer(number)
            case .boolean(let flag)?: return .bool(flag)
            case .string(let text)?: return .string(text)
            case nil: return nil
            }
        default: return nil
        }
    }

    static func evaluate(_ expression: TwinQuery.Expression, _ binding: [String: Twin], _ telemetry: (Twin) -> [String: FieldValue]) -> Bool {
        switch expression {
        case .and(let left, let right): return Self.evaluate(left, binding, telemetry) && Self.evaluate(right, binding, telemetry)
        case .or(let left, let right): return Self.evaluate(left, binding, telemetry) || Self.evaluate(right, binding, telemetry)
        case .not(let inner): return !Self.evaluate(inner, binding, telemetry)
        case .isDefined(let path): return Self.value(path, binding, telemetry) != nil
        case .isIn(let path, let values):
            guard let value = Self.value(path, binding, telemetry) else { return false }
            return values.contains { Self.compare(value, $0) == 0 }
        case .compare(let path, let op, let literal):
            // Comparisons with an undefined property are false (as in Azure Digital Twins).
            guard let value = Self.value(path, binding, telemetry) else { return false }
            guard let order = Self.comparable(value, literal) else { return op == "!=" }
            switch op {
            case "=": return order == 0
            case "!=": return order != 0
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            case ">=": return order >= 0
            default: return false
            }
        }
    }

    /// Orders two values of the same kind; `nil` when they cannot be compared (number vs string).
    static func comparable(_ lhs: JSONValue, _ rhs: JSONValue) -> Int? {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): a == b ? 0 : (a < b ? -1 : 1)
        case (.bool(let a), .bool(let b)): a == b ? 0 : (!a ? -1 : 1)
        case (.null, .null): 0
        default:
            if let a = lhs.number, let b = rhs.number { a == b ? 0 : (a < b ? -1 : 1) } else { nil }
        }
    }

    static func compare(_ lhs: JSONValue, _ rhs: JSONValue) -> Int {
        Self.comparable(lhs, rhs) ?? (lhs.typeName < rhs.typeName ? -1 : 1)
    }
}
