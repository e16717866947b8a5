import TimeSeries
import TwinGuardCore

/// Reads a twin's recorded values of one numeric field from the telemetry store, in time order.
public enum TelemetryHistory {
    /// Times (seconds since the epoch) and values of `field` of `twin` between `from` and `to` (ns),
    /// at most `limit` of the newest.
    public static func read(
        _ store: TimeSeriesStore, tenant: TenantID, twin: String, field: String, from: Int64, to: Int64, limit: Int = 1_000_000
    ) throws(AnalyticsError) -> (times: [Double], values: [Double]) {
        var points: [(Int64, Double)] = []
        for series in store.series(tenant: tenant, tagged: twin) {
            for column in series.columns where column.field == field {
                let data: ColumnData
                do {
                    data = try store.read(column: column.id, from: from, to: to)
                } catch {
                    throw AnalyticsError(.unreadableInput, "cannot read the history of \(field): \(error.message)")
                }
                for index in 0..<data.count {
                    guard let number = data.value(at: index).numeric else { continue }
                    points.append((data.timestamps[index], number))
                }
            }
        }
        points.sort { $0.0 < $1.0 }
        if points.count > limit { points.removeFirst(points.count - limit) }
        var times: [Double] = []
        var values: [Double] = []
        var last = Int64.min
        for (time, value) in points where time > last {
            times.append(Double(time) / 1e9)
            values.append(value)
            last = time
        }
        return (times, values)
    }

    /// The value of a recorded input at each of `times`: the last one at or before it (the first one
    /// before the input's history starts).
    public static func align(_ input: (times: [Double], values: [Double]), at times: [Double]) -> [Double]? {
        guard !input.times.isEmpty else { return nil }
        var index = 0
        return times.map { time in
            while index + 1 < input.times.count, input.times[index + 1] <= time { index += 1 }
            return input.values[index]
        }
    }
}
