import Foundation
import TwinGuardCore

extension InfluxQLExecutor {
    func select(_ statement: SelectStatement, tenant: TenantID, budget: inout QueryBudget) throws(TimeSeriesError) -> [InfluxSeries] {
        let regexes = try Self.compile(statement.condition)
        let policy = statement.retentionPolicy.flatMap { $0 == "autogen" ? nil : $0 }
        if let policy, !self.tiers(tenant).contains(where: { $0.name == policy }) {
            throw .invalidQuery("retention policy not found: \(policy)")
        }
        let matching = self.store.allSeries(tenant: tenant, measurement: statement.measurement, tier: policy)
            .filter { Self.matches(statement.condition, $0.key, regexes) }
        guard !matching.isEmpty else { return [] }
        let groupKeys: [String] =
            statement.groupByAllTags
            ? Set(matching.flatMap { $0.key.tags.map(\.key) }).subtracting([Downsampler.tierTag]).sorted() : statement.groupByTags
        var groups: [[String: String]: [SeriesInfo]] = [:]
        for series in matching {
            var tags: [String: String] = [:]
            for key in groupKeys { tags[key] = series.key.tag(key) ?? "" }
            groups[tags, default: []].append(series)
        }
        var orderedGroups = groups.sorted { lhs, rhs in
            groupKeys.map { lhs.key[$0] ?? "" }.lexicographicallyPrecedes(groupKeys.map { rhs.key[$0] ?? "" })
        }
        if let seriesLimit = statement.seriesLimit { orderedGroups = Array(orderedGroups.prefix(seriesLimit)) }
        var output: [InfluxSeries] = []
        for (tags, members) in orderedGroups {
            let rows =
                statement.isAggregate
                ? try self.aggregateRows(statement, members: members, budget: &budget)
                : try self.rawRows(statement, members: members, groupKeys: Set(groupKeys), budget: &budget)
            guard var (columns, values) = rows, !values.isEmpty else { continue }
            if statement.descending { values.reverse() }
            if let limit = statement.limit { values = Array(values.prefix(limit)) }
            columns = ["time"] + columns
            output.append(InfluxSeries(name: statement.measurement, tags: groupKeys.isEmpty ? nil : tags, columns: columns, values: values))
        }
        return output
    }

    /// Column names as InfluxDB makes them: the alias, else the field or function name, de-duplicated
    /// with `_1`, `_2`.
    private static func columnNames(_ fields: [SelectField], expanded: [String]) -> [String] {
        var names: [String] = []
        var used: [String: Int] = [:]
        for (field, name) in zip(fields, expanded) {
            var candidate = field.alias ?? name
            if let count = used[candidate] {
                used[candidate] = count + 1
                candidate += "_\(count)"
            } else {
                used[candidate] = 1
            }
            names.append(candidate)
        }
        return names
    }

    private func aggregateRows(
        _ statement: SelectStatement, members: [SeriesInfo], budget: inout QueryBudget
    ) throws(TimeSeriesError) -> ([String], [[InfluxValue]])? {
        let from = statement.from ?? .min
        let to = statement.to ?? .max
        var columnsData: [ColumnData] = []
        var functions: [Aggregate] = []
        var names: [String] = []
        var minimum = Int64.max
        var maximum = Int64.min
        for field in statement.fields {
            guard case .aggregate(let function, let name) = field.expression else { continue }
            var parts: [ColumnData] = []
            var type: FieldType?
            for series in members {
                guard let column = series.columns.first(where: { $0.field == name }) else { continue }
                try budget.checkTime()
                let data = try self.store.read(column: column.id, from: from, to: to)
                if let known = type, known != data.type {
                    if known == .string || data.type == .string { continue }
                    parts.append(data.asDoubles())
                    type = .double
                    continue
                }
                type = type ?? data.type
                parts.append(data)
            }
            let combined = ColumnData.concatenated(parts.map { $0.type == (type ?? .double) ? $0 : $0.asDoubles() }, type: type ?? .double)
            if let first = combined.timestamps.first { minimum = min(minimum, first) }
            if let last = combined.timestamps.last { maximum = max(maximum, last) }
            columnsData.append(combined)
            functions.append(function)
            names.append(function == .percentile(0) ? "percentile" : "\(function)")
        }
        guard minimum <= maximum else { return nil }
        let columns = Self.columnNames(statement.fields, expanded: names)
        let interval = statement.interval
        let start = interval == nil ? (statement.from ?? 0) : (statement.from ?? minimum)
        let end = statement.to ?? max(self.now(), maximum) + 1
        if let interval {
            let (shifted, overflow1) = start.subtractingReportingOverflow(statement.intervalOffset)
            let (span, overflow2) = overflow1 ? (0, true) : end.subtractingReportingOverflow(Aggregation.bucketStart(shifted, every: interval))
            guard !overflow2, span / interval <= Int64(self.maximumBuckets) else {
                let buckets = overflow2 ? "more than \(self.maximumBuckets)" : "\(span / interval)"
                throw .invalidQuery("too many buckets (\(buckets)): narrow the time range or widen the GROUP BY time interval")
            }
            // Every aggregate makes a value per bucket: counted before the buckets are made.
            try budget.spend((Int(span / interval) + 1) * max(functions.count, 1))
        } else {
            try budget.spend(max(functions.count, 1))
        }
        var results: [[BucketValue]] = []
        for (column, function) in zip(columnsData, functions) {
            results.append(Aggregation.run(function, over: column, from: start, to: end, every: interval, offset: statement.intervalOffset))
        }
        guard let bucketCount = results.first?.count else { return nil }
        var rows: [[InfluxValue]] = []
        rows.reserveCapacity(bucketCount)
        var previous = [InfluxValue](repeating: .null, count: results.count)
        for bucket in 0..<bucketCount {
            var row: [InfluxValue] = [.integer(interval == nil ? start : results[0][bucket].start)]
            var empty = true
            for (position, result) in results.enumerated() {
                var value = InfluxValue(result[bucket].value)
                if value != .null {
                    empty = false
                    previous[position] = value
                } else {
                    switch statement.fill {
                    case .previous: value = previous[position]
                    case .value(let number):
                        value = functions[position] == .count && abs(number) < 9.2e18 ? .integer(Int64(number)) : .double(number)
                    case .linear: value = Self.interpolate(result, at: bucket)
                    case .null, .none: break
                    }
                }
                row.append(value)
            }
            if empty && statement.fill == .none { continue }
            rows.append(row)
        }
        return (columns, rows)
    }

    private static func interpolate(_ buckets: [BucketValue], at index: Int) -> InfluxValue {
        var before = index - 1
        while before >= 0 && buckets[before].value == nil { before -= 1 }
        var after = index + 1
        while after < buckets.count && buckets[after].value == nil { after += 1 }
        guard before >= 0, after < buckets.count, let low = buckets[before].value?.numeric, let high = buckets[after].value?.numeric else {
            return .null
        }
        let fraction = Double(index - before) / Double(after - before)
        return .double(low + (high - low) * fraction)
    }

    private func rawRows(
        _ statement: SelectStatement, members: [SeriesInfo], groupKeys: Set<String>, budget: inout QueryBudget
    ) throws(TimeSeriesError) -> ([String], [[InfluxValue]])? {
        var fieldNames: [String] = []
        var tagColumns: [String] = []
        var aliases: [SelectField] = []
        for field in statement.fields {
            switch field.expression {
            case .field(let name):
                let isTag = members.contains { $0.key.tag(name) != nil } && !members.contains { info in info.columns.contains { $0.field == name } }
                if isTag { tagColumns.append(name) } else { fieldNames.append(name) }
                aliases.append(field)
            case .wildcard:
                let fields = Set(members.flatMap { $0.columns.map(\.field) })
                let tags = Set(members.flatMap { $0.key.tags.map(\.key) }).subtracting(groupKeys).subtracting([Downsampler.tierTag])
                for name in (fields.union(tags)).sorted() {
                    if fields.contains(name) { fieldNames.append(name) } else { tagColumns.append(name) }
                    aliases.append(SelectField(expression: .field(name)))
                }
            case .aggregate:
                break
            }
        }
        // Rows keyed by (time, series): one series' fields at one instant share a row.
        struct RowKey: Hashable, Comparable {
            var time: Int64
            var series: Int
            static func < (lhs: RowKey, rhs: RowKey) -> Bool { lhs.time != rhs.time ? lhs.time < rhs.time : lhs.series < rhs.series }
        }
        let order = aliases.map { field -> String in if case .field(let name) = field.expression { name } else { "" } }
        var table: [RowKey: [InfluxValue]] = [:]
        let from = statement.from ?? .min
        let to = statement.to ?? .max
        for (seriesIndex, series) in members.enumerated() {
            for (position, name) in order.enumerated() where fieldNames.contains(name) {
                guard let column = series.columns.first(where: { $0.field == name }) else { continue }
                let data = try self.store.read(column: column.id, from: from, to: to)
                // The answer keeps at most LIMIT rows a series; what is read beyond them is the stored data's size.
                try budget.spend(statement.limit.map { min($0, data.count) } ?? data.count)
                for index in 0..<data.count {
                    let key = RowKey(time: data.timestamps[index], series: seriesIndex)
                    if table[key] == nil {
                        var row = [InfluxValue](repeating: .null, count: order.count)
                        for (tagPosition, tagName) in order.enumerated() where tagColumns.contains(tagName) {
                            row[tagPosition] = series.key.tag(tagName).map { .string($0) } ?? .null
                        }
                        table[key] = row
                    }
                    table[key]![position] = InfluxValue(data.value(at: index))
                }
            }
        }
        let rows = table.keys.sorted().map { [InfluxValue.integer($0.time)] + table[$0]! }
        return (Self.columnNames(aliases, expanded: order), rows)
    }
}

extension ColumnData {
    /// All points of several columns of one type in time order, duplicates kept (different series).
    static func concatenated(_ parts: [ColumnData], type: FieldType) -> ColumnData {
        let nonEmpty = parts.filter { !$0.isEmpty }
        if nonEmpty.count == 1 { return nonEmpty[0] }
        let combined = ColumnData.appending(nonEmpty, type: type)
        if combined.timestamps.count > 1 {
            let order = combined.timestamps.indices.sorted { combined.timestamps[$0] < combined.timestamps[$1] }
            var sorted = ColumnData(type: type)
            sorted.timestamps.reserveCapacity(order.count)
            for index in order { sorted.appendRow(from: combined, at: index) }
            return sorted
        }
        return combined
    }

    /// The column with integer values widened to doubles.
    func asDoubles() -> ColumnData {
        guard self.type == .integer || self.type == .boolean else { return self }
        var result = ColumnData(type: .double)
        result.timestamps = self.timestamps
        result.doubles = self.integers.map(Double.init)
        return result
    }
}
