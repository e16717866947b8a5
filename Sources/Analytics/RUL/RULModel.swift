import Foundation

/// A remaining-useful-life model of one kind of machine, trained from run-to-failure histories:
/// regime normalisation, wear features and an ensemble of gradient-boosted trees predicting the RUL
/// capped piece-wise linearly (a new machine is "healthy", not "far from failure by N cycles").
public struct RULModel: Codable, Sendable {
    /// What the model was trained on and how well it validated.
    public struct Metadata: Codable, Sendable {
        public var formatVersion = 1
        public var trainedAt: String
        public var source: String
        public var units: Int
        public var cycles: Int
        public var validationUnits: Int
        /// RMSE on the held-out units' cycles (capped targets), before the final fit on all units.
        public var validationRMSE: Double
        public var trees: Int
        public var ensemble: Int
        public var cap: Double
        public var regimes: Int
        public var features: [String]
        /// Sensor columns of the training data (a live binding must name as many fields).
        public var sensorColumns: Int?
    }

    /// Training settings.
    public struct TrainingOptions: Sendable {
        /// Remaining-life cap: targets above it are set to it.
        public var cap = 125.0
        /// Models averaged (differently seeded), which also give the spread of a prediction.
        public var ensemble = 3
        public var validationFraction = 0.2
        public var trees = GradientBoostedTrees.Parameters()
        public var seed: UInt64 = 2026

        public init() {}
    }

    public var metadata: Metadata
    public var conditions: OperatingConditions
    public var features: WearFeatures
    public var members: [GradientBoostedTrees]

    /// A prediction at a unit's last cycle.
    public struct Prediction: Sendable, Equatable {
        public var rul: Double
        /// Half-width of an uncertainty band: the validation error and the ensemble's disagreement.
        public var uncertainty: Double
    }

    /// Trains a model on run-to-failure histories (each unit's last cycle is its failure).
    public static func train(
        _ histories: [RunHistory], source: String, options: TrainingOptions = TrainingOptions(),
        progress: @escaping (String) -> Void = { _ in }
    ) throws(AnalyticsError) -> RULModel {
        guard histories.count >= 2 else {
            throw AnalyticsError(.notEnoughData, "\(histories.count) unit(s) in \(source); training needs run-to-failure histories of at least 2 units")
        }
        let conditions = try OperatingConditions(fitting: histories)
        let normalised = histories.map { history in
            zip(history.settings, history.sensors).map { conditions.normalise(settings: $0, sensors: $1) }
        }
        let targets = histories.map { history in (0..<history.cycles).map { Float(min(options.cap, Double(history.cycles - 1 - $0))) } }
        let features = WearFeatures(weights: Self.correlations(normalised, targets))
        let rows = normalised.map { features.rows($0) }
        progress("\(histories.count) units, \(rows.reduce(0) { $0 + $1.count }) cycles, \(conditions.regimeCount) operating regime(s), "
            + "\(conditions.keptSensors.count) informative sensors, \(features.count) features")

        // Hold out whole units to choose the number of trees.
        var random = SplitMix(state: options.seed)
        var order = Array(histories.indices)
        for index in order.indices.reversed() where index > 0 { order.swapAt(index, Int(random.next() % UInt64(index + 1))) }
        let held = max(1, Int(Double(histories.count) * options.validationFraction))
        let validationUnits = Set(order.prefix(held))
        func dataset(_ units: [Int]) -> GradientBoostedTrees.Dataset {
            var flat: [Float] = []
            var y: [Float] = []
            for unit in units {
                for row in rows[unit] { flat.append(contentsOf: row) }
                y.append(contentsOf: targets[unit])
            }
            return GradientBoostedTrees.Dataset(features: flat, targets: y, featureCount: features.count)
        }
        let trainingUnits = histories.indices.filter { !validationUnits.contains($0) }
        let (_, report) = GradientBoostedTrees.train(
            dataset(trainingUnits), validation: dataset(validationUnits.sorted()), parameters: options.trees,
            progress: { trees, rmse in progress(String(format: "  validation: %d trees, RMSE %.2f", trees, rmse)) })
        progress(String(format: "best on %d held-out units: %d trees, RMSE %.2f; fitting %d model(s) on all units",
            held, report.bestTreeCount, report.bestValidationRMSE, options.ensemble))

        let all = dataset(Array(histories.indices))
        var members: [GradientBoostedTrees] = []
        for member in 0..<max(1, options.ensemble) {
            var parameters = options.trees
            parameters.trees = max(1, Int(Double(report.bestTreeCount) * 1.1))
            parameters.seed = options.seed &+ UInt64(member + 1) &* 7919
            members.append(GradientBoostedTrees.train(all, parameters: parameters).0)
        }
        let metadata = Metadata(
            trainedAt: ISO8601DateFormatter().string(from: Date()), source: source, units: histories.count,
            cycles: all.rowCount, validationUnits: held, validationRMSE: report.bestValidationRMSE, trees: report.bestTreeCount,
            ensemble: members.count, cap: options.cap, regimes: conditions.regimeCount,
            features: features.names(sensors: conditions.keptSensors), sensorColumns: histories.first?.sensors.first?.count)
        return RULModel(metadata: metadata, conditions: conditions, features: features, members: members)
    }

    /// The RUL after the last cycle of `history`, whose first cycle is `firstCycle`.
    public func predict(_ history: RunHistory, firstCycle: Int = 1) -> Prediction {
        guard history.cycles > 0 else { return Prediction(rul: self.metadata.cap, uncertainty: self.metadata.validationRMSE) }
        let normalised = zip(history.settings, history.sensors).map { self.conditions.normalise(settings: $0, sensors: $1) }
        let row = self.features.rows(normalised, firstCycle: firstCycle).last!
        let estimates = self.members.map { Double($0.predict(row)) }
        let mean = estimates.reduce(0, +) / Double(estimates.count)
        let spread = (estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(estimates.count)).squareRoot()
        let rul = min(max(mean, 0), self.metadata.cap)
        return Prediction(rul: rul, uncertainty: (self.metadata.validationRMSE * self.metadata.validationRMSE + spread * spread).squareRoot())
    }

    /// Per sensor, the correlation of its normalised value with the capped RUL.
    static func correlations(_ normalised: [[[Double]]], _ targets: [[Float]]) -> [Double] {
        let sensors = normalised.first?.first?.count ?? 0
        var n = 0.0, sumY = 0.0, sumYY = 0.0
        var sumX = [Double](repeating: 0, count: sensors), sumXX = sumX, sumXY = sumX
        for (unit, cycles) in normalised.enumerated() {
            for (t, row) in cycles.enumerated() {
                let y = Double(targets[unit][t])
                n += 1
                sumY += y
                sumYY += y * y
                for s in 0..<sensors {
                    sumX[s] += row[s]
                    sumXX[s] += row[s] * row[s]
                    sumXY[s] += row[s] * y
                }
            }
        }
        return (0..<sensors).map { s in
            let covariance = sumXY[s] / n - sumX[s] / n * sumY / n
            let deviations = ((sumXX[s] / n - pow(sumX[s] / n, 2)) * (sumYY / n - pow(sumY / n, 2))).squareRoot()
            return deviations > 0 ? -covariance / deviations : 0  // positive: rises with wear
        }
    }

    /// Writes the model as JSON (mode 0644: a model holds no secrets).
    public func save(to url: URL) throws(AnalyticsError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw AnalyticsError(.unreadableInput, "cannot write the model to \(url.path): \(error.localizedDescription)")
        }
    }

    /// Reads a model written by ``save(to:)``.
    public static func load(from url: URL) throws(AnalyticsError) -> RULModel {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw AnalyticsError(.unreadableInput, "cannot read \(url.path): \(error.localizedDescription)")
        }
        return try Self.decode(data, name: url.path)
    }

    /// Reads a model from the bytes ``save(to:)`` wrote.
    public static func decode(_ data: Data, name: String) throws(AnalyticsError) -> RULModel {
        do {
            let model = try JSONDecoder().decode(RULModel.self, from: data)
            guard model.metadata.formatVersion == 1, !model.members.isEmpty else {
                throw AnalyticsError(.invalidModel, "\(name) is a model of an unknown format version \(model.metadata.formatVersion)")
            }
            return model
        } catch let error as AnalyticsError {
            throw error
        } catch {
            throw AnalyticsError(.invalidModel, "\(name) is not a TwinGuard RUL model: \(error.localizedDescription)")
        }
    }
}
