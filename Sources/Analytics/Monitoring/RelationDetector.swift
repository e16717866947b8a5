/// Watches the usual relation between the numeric fields of one twin (pump current and flow, engine
/// speed and exhaust temperature): each field is predicted from the others by a linear model learned
/// online (exponentially forgetting least squares), and the residual goes through its own streaming
/// detector. A value that is normal on its own but does not fit the others shows up there.
struct RelationDetector: Sendable {
    static let maximumFields = 8
    static let refitEvery = 16
    let fields: [String]
    /// Exponentially weighted sums of x·xᵀ over the fields and a constant 1 (last row/column).
    private var moments: [Double]
    private var coefficients: [[Double]]
    private var residualDetectors: [StreamingDetector]
    private var residualVariance: [ExponentialMean]
    private var fieldVariance: [ExponentialMean]
    private var fieldMean: [ExponentialMean]
    private var count = 0
    private let forgetting = 0.999

    init?(fields: [String]) {
        guard fields.count >= 2, fields.count <= Self.maximumFields else { return nil }
        self.fields = fields
        let n = fields.count + 1
        self.moments = [Double](repeating: 0, count: n * n)
        self.coefficients = [[Double]](repeating: [Double](repeating: 0, count: n), count: fields.count)
        self.residualDetectors = fields.map { _ in StreamingDetector(configuration: .init(warmUp: 200, seasonal: false)) }
        self.residualVariance = fields.map { _ in ExponentialMean(rate: 0.01) }
        self.fieldVariance = fields.map { _ in ExponentialMean(rate: 0.01) }
        self.fieldMean = fields.map { _ in ExponentialMean(rate: 0.01) }
    }

    /// Scores each field's fit to the others (values in `fields` order); `nil` where there is no verdict.
    mutating func score(_ values: [Double]) -> [AnomalyScore?] {
        let n = self.fields.count + 1
        let x = values + [1]
        var verdicts = [AnomalyScore?](repeating: nil, count: self.fields.count)
        if self.count >= 50 {
            for target in 0..<self.fields.count {
                var prediction = 0.0
                for index in 0..<n where index != target { prediction += self.coefficients[target][index] * x[index] }
                let residual = values[target] - prediction
                let verdict = self.residualDetectors[target].score(residual)
                self.residualVariance[target].add(residual * residual)
                // Only where the others explain most of the field's variation.
                if self.residualVariance[target].value < 0.25 * self.fieldVariance[target].value, verdict.score > 0 {
                    verdicts[target] = AnomalyScore(score: verdict.score, kind: .relation, expectedLow: prediction - 3 * self.residualVariance[target].value.squareRoot(), expectedHigh: prediction + 3 * self.residualVariance[target].value.squareRoot())
                }
            }
        }
        for target in 0..<self.fields.count {
            let deviation = values[target] - self.fieldMean[target].value
            self.fieldVariance[target].add(deviation * deviation)
            self.fieldMean[target].add(values[target])
        }
        for row in 0..<n {
            for column in 0..<n { self.moments[row * n + column] = self.forgetting * self.moments[row * n + column] + x[row] * x[column] }
        }
        self.count += 1
        if self.count % Self.refitEvery == 0 { self.refit() }
        return verdicts
    }

    /// Solves the ridge-regularised normal equations of each field on the others.
    private mutating func refit() {
        let n = self.fields.count + 1
        for target in 0..<self.fields.count {
            let predictors = (0..<n).filter { $0 != target }
            let m = predictors.count
            var matrix = [Double](repeating: 0, count: m * (m + 1))
            for (i, row) in predictors.enumerated() {
                for (j, column) in predictors.enumerated() { matrix[i * (m + 1) + j] = self.moments[row * n + column] }
                matrix[i * (m + 1) + i] += 1e-6 * (self.moments[row * n + row] + 1)
                matrix[i * (m + 1) + m] = self.moments[row * n + target]
            }
            guard let solution = Self.solve(&matrix, size: m) else { continue }
            var coefficients = [Double](repeating: 0, count: n)
            for (i, index) in predictors.enumerated() { coefficients[index] = solution[i] }
            self.coefficients[target] = coefficients
        }
    }

    /// Gaussian elimination with partial pivoting on an augmented m × (m+1) matrix.
    static func solve(_ a: inout [Double], size m: Int) -> [Double]? {
        let width = m + 1
        for column in 0..<m {
            var pivot = column
            for row in column + 1..<m where abs(a[row * width + column]) > abs(a[pivot * width + column]) { pivot = row }
            guard abs(a[pivot * width + column]) > 1e-12 else { return nil }
            if pivot != column { for k in 0..<width { a.swapAt(pivot * width + k, column * width + k) } }
            for row in 0..<m where row != column {
                let factor = a[row * width + column] / a[column * width + column]
                if factor == 0 { continue }
                for k in column..<width { a[row * width + k] -= factor * a[column * width + k] }
            }
        }
        return (0..<m).map { a[$0 * width + m] / a[$0 * width + $0] }
    }
}
