/// The cost limits of one InfluxQL statement: how many values it may produce (buckets × aggregates × series for
/// aggregates, points × fields for raw reads), checked before the work is done where the count is known in
/// advance, and how long it may run.
struct QueryBudget {
    private(set) var remainingValues: Int
    let limit: Int
    let deadline: ContinuousClock.Instant
    let timeLimit: Duration

    init(values: Int, timeLimit: Duration) {
        self.remainingValues = values
        self.limit = values
        self.timeLimit = timeLimit
        self.deadline = ContinuousClock.now.advanced(by: timeLimit)
    }

    /// Takes `values` from the budget.
    /// - Throws: when the statement would produce more than its limit.
    mutating func spend(_ values: Int) throws(TimeSeriesError) {
        guard values <= self.remainingValues else {
            throw .invalidQuery(
                "query too expensive: it would produce more than \(self.limit) values; narrow the time range, widen the GROUP BY time "
                    + "interval, select fewer fields or series, or add LIMIT / SLIMIT")
        }
        self.remainingValues -= values
        try self.checkTime()
    }

    /// - Throws: once the statement has run longer than its time limit.
    func checkTime() throws(TimeSeriesError) {
        guard ContinuousClock.now < self.deadline else {
            throw .invalidQuery("query timeout: it ran longer than \(self.timeLimit); narrow the time range or select fewer series")
        }
    }
}
