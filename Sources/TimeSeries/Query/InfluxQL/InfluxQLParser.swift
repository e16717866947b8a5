import Foundation
import TwinGuardCore

/// A recursive-descent parser of the InfluxQL subset; errors say what was found, what was expected and
/// where, in InfluxDB's words (`error parsing query: found X, expected Y at line 1, char N`).
public struct InfluxQLParser {
    private var tokens: [InfluxQLToken]
    private var index = 0
    /// Whether the last ``next()`` moved (it stays on the end token), so that ``stepBack()`` undoes exactly it.
    private var nextMoved = false
    private let now: Int64

    /// Parses one or more statements separated by `;`.
    public static func parse(_ text: String, now: Int64) throws(TimeSeriesError) -> [InfluxQLStatement] {
        var parser = InfluxQLParser(tokens: try InfluxQLLexer.tokenize(text), now: now)
        var statements: [InfluxQLStatement] = []
        while true {
            while parser.accept(.symbol(";")) {}
            if parser.peek.kind == .end { break }
            statements.append(try parser.statement())
            if parser.peek.kind != .end && parser.peek.kind != .symbol(";") {
                throw parser.unexpected("; or end of query")
            }
        }
        guard !statements.isEmpty else { throw .invalidQuery("error parsing query: empty query") }
        return statements
    }

    private init(tokens: [InfluxQLToken], now: Int64) {
        self.tokens = tokens
        self.now = now
    }

    private var peek: InfluxQLToken { self.tokens[self.index] }

    private mutating func next() -> InfluxQLToken {
        let token = self.tokens[self.index]
        self.nextMoved = token.kind != .end
        if self.nextMoved { self.index += 1 }
        return token
    }

    /// Puts back the token the last ``next()`` took, so that an error names it and its position.
    private mutating func stepBack() {
        if self.nextMoved { self.index -= 1 }
        self.nextMoved = false
    }

    private mutating func accept(_ kind: InfluxQLToken.Kind) -> Bool {
        guard self.peek.kind == kind else { return false }
        self.index += 1
        return true
    }

    private mutating func expect(_ kind: InfluxQLToken.Kind, _ what: String) throws(TimeSeriesError) {
        guard self.accept(kind) else { throw self.unexpected(what) }
    }

    private func unexpected(_ expected: String) -> TimeSeriesError {
        .invalidQuery("error parsing query: found \(self.peek.text), expected \(expected) at line 1, char \(self.peek.position)")
    }

    private mutating func identifier(_ what: String) throws(TimeSeriesError) -> String {
        if case .identifier(let name) = self.peek.kind {
            self.index += 1
            return name
        }
        // Keywords are fine as names where a name is expected after a dot or in quotes only; bare ones are not.
        throw self.unexpected(what)
    }

    // MARK: Statements

    private mutating func statement() throws(TimeSeriesError) -> InfluxQLStatement {
        switch self.peek.kind {
        case .keyword("SELECT"):
            self.index += 1
            return .select(try self.select())
        case .keyword("SHOW"):
            self.index += 1
            return try self.show()
        case .keyword("CREATE"):
            self.index += 1
            try self.expect(.keyword("DATABASE"), "DATABASE")
            return .createDatabase(try self.identifier("database name"))
        default:
            throw self.unexpected("SELECT, SHOW or CREATE")
        }
    }

    private mutating func show() throws(TimeSeriesError) -> InfluxQLStatement {
        switch self.next().kind {
        case .keyword("DATABASES"):
            return .showDatabases
        case .keyword("RETENTION"):
            try self.expect(.keyword("POLICIES"), "POLICIES")
            try self.skipOn()
            return .showRetentionPolicies
        case .keyword("MEASUREMENTS"):
            try self.skipOn()
            if self.accept(.keyword("WITH")) {
                try self.expect(.identifier("MEASUREMENT"), "MEASUREMENT")
                _ = self.next()
                _ = self.next()
            }
            let condition = try self.optionalWhere()
            return .showMeasurements(condition: condition, limit: try self.optionalLimits().limit)
        case .keyword("TAG"):
            if self.accept(.keyword("KEYS")) {
                try self.skipOn()
                let measurement = try self.optionalFrom()
                _ = try self.optionalWhere()
                _ = try self.optionalLimits()
                return .showTagKeys(measurement: measurement)
            }
            try self.expect(.keyword("VALUES"), "KEYS or VALUES")
            try self.skipOn()
            let measurement = try self.optionalFrom()
            try self.expect(.keyword("WITH"), "WITH KEY")
            try self.expect(.keyword("KEY"), "KEY")
            var keys: [String] = []
            if self.accept(.keyword("IN")) {
                try self.expect(.symbol("("), "(")
                repeat { keys.append(try self.identifier("tag key")) } while self.accept(.symbol(","))
                try self.expect(.symbol(")"), ")")
            } else if self.accept(.symbol("=")) {
                keys.append(try self.identifier("tag key"))
            } else {
                throw self.unexpected("= or IN after WITH KEY")
            }
            let condition = try self.optionalWhere()
            _ = try self.optionalLimits()
            return .showTagValues(measurement: measurement, keys: keys, condition: condition)
        case .keyword("FIELD"):
            try self.expect(.keyword("KEYS"), "KEYS")
            try self.skipOn()
            let measurement = try self.optionalFrom()
            return .showFieldKeys(measurement: measurement)
        default:
            self.stepBack()
            throw self.unexpected("DATABASES, MEASUREMENTS, TAG KEYS, TAG VALUES, FIELD KEYS or RETENTION POLICIES")
        }
    }

    private mutating func skipOn() throws(TimeSeriesError) {
        if self.accept(.keyword("ON")) { _ = try self.identifier("database name") }
    }

    /// `::field`, `::tag`, `::float`… after a name (Grafana writes them); the type is known anyway.
    private mutating func skipCast() throws(TimeSeriesError) {
        guard self.accept(.symbol("::")) else { return }
        switch self.peek.kind {
        case .identifier, .keyword("FIELD"), .keyword("TAG"): self.index += 1
        default: throw self.unexpected("field, tag or a field type after ::")
        }
    }

    private mutating func optionalFrom() throws(TimeSeriesError) -> String? {
        guard self.accept(.keyword("FROM")) else { return nil }
        return try self.measurementName()
    }

    private mutating func measurementName() throws(TimeSeriesError) -> String {
        try self.qualifiedMeasurement().measurement
    }

    /// `measurement`, `rp.measurement`, `db.rp.measurement` or `db..measurement`.
    private mutating func qualifiedMeasurement() throws(TimeSeriesError) -> (retentionPolicy: String?, measurement: String) {
        var parts = [try self.identifier("measurement name")]
        while self.accept(.symbol(".")) {
            if self.accept(.symbol(".")) { parts.append("") }  // db..measurement: default policy
            parts.append(try self.identifier("measurement name"))
        }
        let policy = parts.count >= 2 ? parts[parts.count - 2] : nil
        return (policy?.isEmpty == true ? nil : policy, parts[parts.count - 1])
    }

    private mutating func optionalWhere() throws(TimeSeriesError) -> TagCondition? {
        guard self.accept(.keyword("WHERE")) else { return nil }
        let expression = try self.orExpression()
        var bounds = QueryTimeRange()
        let condition = try self.split(expression, into: &bounds, underOr: false)
        return condition
    }

    private mutating func optionalLimits() throws(TimeSeriesError) -> (limit: Int?, seriesLimit: Int?) {
        var result: (limit: Int?, seriesLimit: Int?) = (nil, nil)
        while true {
            if self.accept(.keyword("LIMIT")) {
                result.limit = try self.count()
            } else if self.accept(.keyword("SLIMIT")) {
                result.seriesLimit = try self.count()
            } else if self.accept(.keyword("OFFSET")) || self.accept(.keyword("SOFFSET")) {
                let offset = try self.count()
                if offset != 0 { throw .invalidQuery("error parsing query: OFFSET is not supported; use a time range") }
            } else {
                return result
            }
        }
    }

    private mutating func count() throws(TimeSeriesError) -> Int {
        guard case .number(let number, true) = self.peek.kind, number >= 0, number < 1e15 else {
            throw self.unexpected("a non-negative integer")
        }
        self.index += 1
        return Int(number)
    }

    // MARK: SELECT

    private mutating func select() throws(TimeSeriesError) -> SelectStatement {
        var fields: [SelectField] = []
        repeat { fields.append(try self.selectField()) } while self.accept(.symbol(","))
        try self.expect(.keyword("FROM"), "FROM")
        let (policy, measurement) = try self.qualifiedMeasurement()
        var statement = SelectStatement(fields: fields, measurement: measurement)
        statement.retentionPolicy = policy
        if self.accept(.keyword("WHERE")) {
            let expression = try self.orExpression()
            var bounds = QueryTimeRange()
            let condition = try self.split(expression, into: &bounds, underOr: false)
            statement.condition = condition
            statement.from = bounds.from
            statement.to = bounds.to
        }
        if self.accept(.keyword("GROUP")) {
            try self.expect(.keyword("BY"), "BY")
            repeat {
                if case .identifier(let name) = self.peek.kind, name.lowercased() == "time",
                    self.tokens[self.index + 1].kind == .symbol("(")
                {
                    self.index += 2
                    guard case .duration(let interval) = self.next().kind, interval > 0 else {
                        self.stepBack()
                        throw self.unexpected("a duration such as 1m")
                    }
                    statement.interval = interval
                    if self.accept(.symbol(",")) {
                        let negative = self.accept(.symbol("-"))
                        guard case .duration(let offset) = self.next().kind else {
                            self.stepBack()
                            throw self.unexpected("an offset duration")
                        }
                        statement.intervalOffset = negative ? -offset : offset
                    }
                    try self.expect(.symbol(")"), ")")
                } else if self.accept(.symbol("*")) {
                    statement.groupByAllTags = true
                } else {
                    statement.groupByTags.append(try self.identifier("time(…) or a tag key"))
                    try self.skipCast()
                }
            } while self.accept(.symbol(","))
        }
        if case .identifier(let name) = self.peek.kind, name.lowercased() == "fill" {
            self.index += 1
            try self.expect(.symbol("("), "(")
            let token = self.next()
            switch token.kind {
            case .identifier(let option) where option.lowercased() == "null": statement.fill = .null
            case .identifier(let option) where option.lowercased() == "none": statement.fill = .none
            case .identifier(let option) where option.lowercased() == "previous": statement.fill = .previous
            case .identifier(let option) where option.lowercased() == "linear": statement.fill = .linear
            case .number(let value, _): statement.fill = .value(value)
            case .symbol("-"):
                guard case .number(let value, _) = self.next().kind else { throw self.unexpected("a number") }
                statement.fill = .value(-value)
            default:
                self.stepBack()
                throw self.unexpected("null, none, previous, linear or a number")
            }
            try self.expect(.symbol(")"), ")")
        }
        if self.accept(.keyword("ORDER")) {
            try self.expect(.keyword("BY"), "BY")
            guard case .identifier(let name) = self.next().kind, name.lowercased() == "time" else {
                self.stepBack()
                throw self.unexpected("time (only ORDER BY time is supported)")
            }
            if self.accept(.keyword("DESC")) { statement.descending = true } else { _ = self.accept(.keyword("ASC")) }
        }
        let limits = try self.optionalLimits()
        statement.limit = limits.limit
        statement.seriesLimit = limits.seriesLimit
        if self.accept(.keyword("TZ")) {
            try self.expect(.symbol("("), "(")
            guard case .string = self.next().kind else { throw self.unexpected("a time zone string") }
            try self.expect(.symbol(")"), ")")
        }
        if statement.isAggregate {
            for field in statement.fields {
                if case .aggregate = field.expression { continue }
                throw .invalidQuery("error parsing query: mixing aggregate and non-aggregate queries is not supported")
            }
        } else if statement.interval != nil {
            throw .invalidQuery("error parsing query: GROUP BY requires at least one aggregate function")
        }
        return statement
    }

    private mutating func selectField() throws(TimeSeriesError) -> SelectField {
        var field: SelectField
        if self.accept(.symbol("*")) {
            field = SelectField(expression: .wildcard)
        } else {
            let name = try self.identifier("a field, function or *")
            if self.accept(.symbol("(")) {
                let argument: String
                if self.accept(.symbol("*")) {
                    throw .invalidQuery("error parsing query: \(name)(*) is not supported; name the field")
                }
                argument = try self.identifier("a field name")
                try self.skipCast()
                var parameter: Double?
                if self.accept(.symbol(",")) {
                    guard case .number(let value, _) = self.next().kind else {
                        self.stepBack()
                        throw self.unexpected("a number")
                    }
                    parameter = value
                }
                try self.expect(.symbol(")"), ")")
                guard let function = Aggregate(name: name, argument: parameter) else {
                    throw .invalidQuery("error parsing query: undefined function \(name)() or bad argument; supported: count, min, max, mean, sum, first, last, stddev, spread, median, percentile(field, N)")
                }
                field = SelectField(expression: .aggregate(function, field: argument))
            } else {
                field = SelectField(expression: .field(name))
                try self.skipCast()
            }
        }
        if self.accept(.keyword("AS")) { field.alias = try self.identifier("an alias") }
        return field
    }

    // MARK: WHERE

    indirect enum Expression {
        case comparison(left: Operand, op: String, right: Operand, position: Int)
        case and(Expression, Expression)
        case or(Expression, Expression)
    }

    enum Operand {
        case name(String)
        case string(String)
        case number(Double)
        case time(Int64)
        case regex(String)
    }

    /// The `time` conditions of a WHERE clause.
    struct QueryTimeRange {
        var from: Int64?
        var to: Int64?
    }

    private mutating func orExpression() throws(TimeSeriesError) -> Expression {
        var left = try self.andExpression()
        while self.accept(.keyword("OR")) { left = .or(left, try self.andExpression()) }
        return left
    }

    private mutating func andExpression() throws(TimeSeriesError) -> Expression {
        var left = try self.primary()
        while self.accept(.keyword("AND")) { left = .and(left, try self.primary()) }
        return left
    }

    private mutating func primary() throws(TimeSeriesError) -> Expression {
        if self.accept(.symbol("(")) {
            let inner = try self.orExpression()
            try self.expect(.symbol(")"), ")")
            return inner
        }
        let position = self.peek.position
        let left = try self.operand()
        let token = self.next()
        guard case .symbol(let op) = token.kind, ["=", "!=", "<", "<=", ">", ">=", "=~", "!~"].contains(op) else {
            self.stepBack()
            throw self.unexpected("a comparison operator")
        }
        let right = try self.operand()
        return .comparison(left: left, op: op, right: right, position: position)
    }

    private mutating func operand() throws(TimeSeriesError) -> Operand {
        var value: Operand
        let token = self.next()
        switch token.kind {
        case .identifier(let name) where name.lowercased() == "now" && self.peek.kind == .symbol("("):
            self.index += 1
            try self.expect(.symbol(")"), ")")
            value = .time(self.now)
        case .identifier(let name):
            value = .name(name)
            try self.skipCast()
        case .string(let text): value = .string(text)
        case .number(let number, _): value = .number(number)
        case .duration(let ns): value = .time(ns)
        case .regex(let pattern): value = .regex(pattern)
        default:
            self.stepBack()
            throw self.unexpected("an identifier, string, number or now()")
        }
        while self.peek.kind == .symbol("+") || self.peek.kind == .symbol("-") {
            let minus = self.next().kind == .symbol("-")
            let amount: Int64
            switch self.next().kind {
            case .duration(let ns): amount = ns
            case .number(let number, true) where abs(number) < 9.2e18: amount = Int64(number)
            default:
                self.stepBack()
                throw self.unexpected("a duration")
            }
            guard let base = try self.timeValue(value) else { throw .invalidQuery("error parsing query: arithmetic needs a time") }
            let (result, overflow) = minus ? base.subtractingReportingOverflow(amount) : base.addingReportingOverflow(amount)
            guard !overflow else { throw Self.timeOutOfRange }
            // `now() - 100000d` (Grafana's "all time") means every time there is: clamped, not refused.
            value = .time(min(max(result, TwinGuardCore.TimeBounds.earliest), TwinGuardCore.TimeBounds.latest))
        }
        return value
    }

    static var timeOutOfRange: TimeSeriesError {
        .invalidQuery("error parsing query: time out of range: use times from \(TwinGuardCore.TimeBounds.rangeDescription)")
    }

    /// The time an operand names, within ``TwinGuardCore/TimeBounds``.
    /// - Returns: nil when the operand is no time.
    /// - Throws: when it is a time outside the accepted range.
    private func timeValue(_ operand: Operand) throws(TimeSeriesError) -> Int64? {
        let time: Int64
        switch operand {
        case .time(let ns): time = ns
        case .number(let number):
            guard number.isFinite else { return nil }
            guard abs(number) <= Double(TwinGuardCore.TimeBounds.latest) else { throw Self.timeOutOfRange }
            time = Int64(number)
        case .string(let text):
            let normalized = text.contains("T") ? text : text.replacingOccurrences(of: " ", with: "T")
            let candidates = [text, normalized + (normalized.hasSuffix("Z") || normalized.contains("+") ? "" : "Z")]
            var parsed: Int64?
            for candidate in candidates where parsed == nil {
                do throws(RFC3339.ParseError) {
                    parsed = try RFC3339.parseChecked(candidate)
                } catch {
                    if error == .outOfRange { throw Self.timeOutOfRange }
                }
            }
            guard let parsed else { return nil }
            time = parsed
        default: return nil
        }
        guard TwinGuardCore.TimeBounds.contains(time) else { throw Self.timeOutOfRange }
        return time
    }

    /// Separates time bounds (only in top-level AND) from tag conditions.
    private func split(_ expression: Expression, into bounds: inout QueryTimeRange, underOr: Bool) throws(TimeSeriesError) -> TagCondition? {
        switch expression {
        case .and(let left, let right):
            let lhs = try self.split(left, into: &bounds, underOr: underOr)
            let rhs = try self.split(right, into: &bounds, underOr: underOr)
            switch (lhs, rhs) {
            case (nil, nil): return nil
            case (let only?, nil), (nil, let only?): return only
            case (let a?, let b?): return .and(a, b)
            }
        case .or(let left, let right):
            let lhs = try self.split(left, into: &bounds, underOr: true) ?? .always
            let rhs = try self.split(right, into: &bounds, underOr: true) ?? .always
            return .or(lhs, rhs)
        case .comparison(let left, let op, let right, let position):
            if case .name(let name) = left, name.lowercased() == "time" {
                guard !underOr else {
                    throw .invalidQuery("error parsing query: time conditions under OR are not supported at line 1, char \(position)")
                }
                guard let time = try self.timeValue(right) else {
                    throw .invalidQuery("error parsing query: invalid time value for comparison at line 1, char \(position)")
                }
                switch op {
                case ">": bounds.from = max(bounds.from ?? .min, time == .max ? .max : time + 1)
                case ">=": bounds.from = max(bounds.from ?? .min, time)
                case "<": bounds.to = min(bounds.to ?? .max, time)
                case "<=": bounds.to = min(bounds.to ?? .max, time == .max ? .max : time + 1)
                case "=":
                    bounds.from = max(bounds.from ?? .min, time)
                    bounds.to = min(bounds.to ?? .max, time == .max ? .max : time + 1)
                default:
                    throw .invalidQuery("error parsing query: invalid time comparison operator \(op) at line 1, char \(position)")
                }
                return nil
            }
            guard case .name(let key) = left else {
                throw .invalidQuery("error parsing query: expected a tag key on the left of \(op) at line 1, char \(position)")
            }
            switch (op, right) {
            case ("=", .string(let value)): return .equals(key, value)
            case ("!=", .string(let value)): return .notEquals(key, value)
            case ("=~", .regex(let pattern)): return .matches(key, pattern)
            case ("!~", .regex(let pattern)): return .notMatches(key, pattern)
            case (_, .number):
                throw .invalidQuery("conditions on field values are not supported (\(key) \(op) …); filter on tags and time")
            default:
                throw .invalidQuery("error parsing query: unsupported condition on '\(key)' at line 1, char \(position); use tag = 'value', !=, =~ /re/ or !~ /re/")
            }
        }
    }
}
