import TwinGuardCore

/// Gradient-boosted regression trees (squared error), histogram-based in the manner of LightGBM:
/// features are cut into at most 64 quantile bins once, each split is found from per-bin sums, trees
/// grow level by level with rows and features subsampled per tree, and training stops when the
/// validation error has not improved for a while.
public struct GradientBoostedTrees: Codable, Sendable {
    /// Training settings.
    public struct Parameters: Codable, Sendable, Equatable {
        public var trees = 800
        public var learningRate = 0.03
        public var maxDepth = 6
        public var minLeafRows = 40
        public var l2 = 1.0
        public var rowFraction = 0.8
        public var featureFraction = 0.7
        /// Stop when the validation error has not improved for this many trees.
        public var patience = 80
        public var seed: UInt64 = 1

        public init() {}
    }

    /// One tree, as flat arrays; a node with feature -1 is a leaf holding `value`.
    public struct Tree: Codable, Sendable {
        public var feature: [Int32] = []
        public var threshold: [Float] = []
        public var left: [Int32] = []
        public var right: [Int32] = []
        public var value: [Float] = []

        func predict(_ row: UnsafeBufferPointer<Float>) -> Float {
            var node = 0
            while self.feature[node] >= 0 {
                node = Int(row[Int(self.feature[node])] <= self.threshold[node] ? self.left[node] : self.right[node])
            }
            return self.value[node]
        }
    }

    public var base: Float
    public var learningRate: Float
    public var trees: [Tree]
    public var featureCount: Int

    /// The prediction for one row of `featureCount` values.
    public func predict(_ row: [Float]) -> Float {
        row.withUnsafeBufferPointer { buffer in
            var sum = self.base
            for tree in self.trees { sum += self.learningRate * tree.predict(buffer) }
            return sum
        }
    }

    /// A dense, row-major table of features with one target per row.
    public struct Dataset: Sendable {
        public var features: [Float]
        public var targets: [Float]
        public var featureCount: Int
        public var rowCount: Int { self.targets.count }

        public init(features: [Float], targets: [Float], featureCount: Int) {
            self.features = features
            self.targets = targets
            self.featureCount = featureCount
        }

        func row(_ index: Int) -> ArraySlice<Float> {
            self.features[index * self.featureCount..<(index + 1) * self.featureCount]
        }
    }

    /// What training reports: the validation error after each tree, and the tree count kept.
    public struct TrainingReport: Sendable {
        public var validationRMSE: [Double] = []
        public var bestTreeCount = 0
        public var bestValidationRMSE: Double { self.validationRMSE.isEmpty ? .nan : self.validationRMSE[self.bestTreeCount - 1] }
    }

    /// Trains on `training`; with `validation`, keeps the tree count with the least validation error.
    public static func train(
        _ training: Dataset, validation: Dataset? = nil, parameters: Parameters = Parameters(),
        progress: (Int, Double) -> Void = { _, _ in }
    ) -> (GradientBoostedTrees, TrainingReport) {
        var trainer = TreeTrainer(training, parameters: parameters)
        let base = Float(training.targets.reduce(0, +) / Float(max(training.rowCount, 1)))
        var model = GradientBoostedTrees(base: base, learningRate: Float(parameters.learningRate), trees: [], featureCount: training.featureCount)
        var predictions = [Float](repeating: base, count: training.rowCount)
        var validationPredictions = [Float](repeating: base, count: validation?.rowCount ?? 0)
        var report = TrainingReport()
        var best = Double.infinity
        for index in 0..<parameters.trees {
            let tree = trainer.grow(predictions: predictions)
            model.trees.append(tree)
            training.features.withUnsafeBufferPointer { all in
                for row in 0..<training.rowCount {
                    let slice = UnsafeBufferPointer(rebasing: all[row * training.featureCount..<(row + 1) * training.featureCount])
                    predictions[row] += model.learningRate * tree.predict(slice)
                }
            }
            guard let validation else { continue }
            var squared = 0.0
            validation.features.withUnsafeBufferPointer { all in
                for row in 0..<validation.rowCount {
                    let slice = UnsafeBufferPointer(rebasing: all[row * validation.featureCount..<(row + 1) * validation.featureCount])
                    validationPredictions[row] += model.learningRate * tree.predict(slice)
                    let error = Double(validationPredictions[row] - validation.targets[row])
                    squared += error * error
                }
            }
            let rmse = (squared / Double(max(validation.rowCount, 1))).squareRoot()
            report.validationRMSE.append(rmse)
            if rmse < best {
                best = rmse
                report.bestTreeCount = index + 1
            } else if index + 1 - report.bestTreeCount >= parameters.patience {
                break
            }
            if (index + 1) % 50 == 0 { progress(index + 1, rmse) }
        }
        if validation != nil {
            model.trees.removeLast(model.trees.count - report.bestTreeCount)
        } else {
            report.bestTreeCount = model.trees.count
        }
        return (model, report)
    }
}

/// The state of one training run: the binned features and the random source.
struct TreeTrainer {
    static let maxBins = 64
    let rows: Int
    let featureCount: Int
    /// Column-major bin numbers.
    var bins: [UInt8]
    /// Per feature, the upper edge (a raw value) of each bin but the last.
    var edges: [[Float]]
    let targets: [Float]
    let parameters: GradientBoostedTrees.Parameters
    var random: SplitMix

    init(_ data: GradientBoostedTrees.Dataset, parameters: GradientBoostedTrees.Parameters) {
        self.rows = data.rowCount
        self.featureCount = data.featureCount
        self.targets = data.targets
        self.parameters = parameters
        self.random = SplitMix(state: parameters.seed)
        self.bins = [UInt8](repeating: 0, count: data.rowCount * data.featureCount)
        self.edges = []
        var column = [Float](repeating: 0, count: data.rowCount)
        for feature in 0..<data.featureCount {
            for row in 0..<data.rowCount { column[row] = data.features[row * data.featureCount + feature] }
            var sorted = column
            sorted.sort()
            var cuts: [Float] = []
            for step in 1..<Self.maxBins {
                let value = sorted[min(sorted.count - 1, step * sorted.count / Self.maxBins)]
                if cuts.last.map({ value > $0 }) ?? true, value < (sorted.last ?? value) { cuts.append(value) }
            }
            self.edges.append(cuts)
            for row in 0..<data.rowCount {
                self.bins[feature * data.rowCount + row] = UInt8(cuts.partitionPoint { $0 >= column[row] })
            }
        }
    }

    /// Grows one tree on the residuals of `predictions`.
    mutating func grow(predictions: [Float]) -> GradientBoostedTrees.Tree {
        var gradients = [Float](repeating: 0, count: self.rows)
        for row in 0..<self.rows { gradients[row] = predictions[row] - self.targets[row] }
        var sample: [Int32] = []
        sample.reserveCapacity(self.rows)
        for row in 0..<self.rows where self.random.unit() < self.parameters.rowFraction { sample.append(Int32(row)) }
        var features = (0..<self.featureCount).filter { _ in self.random.unit() < self.parameters.featureFraction }
        if features.isEmpty { features = [Int(self.random.next() % UInt64(self.featureCount))] }

        var tree = GradientBoostedTrees.Tree()
        var frontier: [(node: Int, rows: [Int32], depth: Int)] = [(0, sample, 0)]
        tree.append(leaf: Self.leafValue(sample, gradients, self.parameters.l2))
        while let (node, nodeRows, depth) = frontier.popLast() {
            guard depth < self.parameters.maxDepth, nodeRows.count >= 2 * self.parameters.minLeafRows,
                let split = self.bestSplit(nodeRows, gradients: gradients, features: features)
            else { continue }
            var leftRows: [Int32] = []
            var rightRows: [Int32] = []
            leftRows.reserveCapacity(nodeRows.count)
            rightRows.reserveCapacity(nodeRows.count)
            let base = split.feature * self.rows
            for row in nodeRows {
                if Int(self.bins[base + Int(row)]) <= split.bin { leftRows.append(row) } else { rightRows.append(row) }
            }
            let left = tree.append(leaf: Self.leafValue(leftRows, gradients, self.parameters.l2))
            let right = tree.append(leaf: Self.leafValue(rightRows, gradients, self.parameters.l2))
            tree.feature[node] = Int32(split.feature)
            tree.threshold[node] = self.edges[split.feature][split.bin]
            tree.left[node] = Int32(left)
            tree.right[node] = Int32(right)
            frontier.append((left, leftRows, depth + 1))
            frontier.append((right, rightRows, depth + 1))
        }
        return tree
    }

    static func leafValue(_ rows: [Int32], _ gradients: [Float], _ l2: Double) -> Float {
        var sum = 0.0
        for row in rows { sum += Double(gradients[Int(row)]) }
        return Float(-sum / (Double(rows.count) + l2))
    }

    /// The split of `rows` with the largest gain, if any gains.
    func bestSplit(_ rows: [Int32], gradients: [Float], features: [Int]) -> (feature: Int, bin: Int)? {
        var best: (feature: Int, bin: Int)? = nil
        var bestGain = 1e-9
        let l2 = self.parameters.l2
        let minLeaf = self.parameters.minLeafRows
        var total = 0.0
        for row in rows { total += Double(gradients[Int(row)]) }
        let count = rows.count
        let parentScore = total * total / (Double(count) + l2)
        var sums = [Double](repeating: 0, count: Self.maxBins)
        var counts = [Int](repeating: 0, count: Self.maxBins)
        self.bins.withUnsafeBufferPointer { bins in
            gradients.withUnsafeBufferPointer { gradients in
                for feature in features where !self.edges[feature].isEmpty {
                    for index in 0..<Self.maxBins {
                        sums[index] = 0
                        counts[index] = 0
                    }
                    let base = feature * self.rows
                    for row in rows {
                        let bin = Int(bins[base + Int(row)])
                        sums[bin] += Double(gradients[Int(row)])
                        counts[bin] += 1
                    }
                    var leftSum = 0.0
                    var leftCount = 0
                    for bin in 0..<self.edges[feature].count {
                        leftSum += sums[bin]
                        leftCount += counts[bin]
                        let rightCount = count - leftCount
                        if leftCount < minLeaf { continue }
                        if rightCount < minLeaf { break }
                        let rightSum = total - leftSum
                        let gain = leftSum * leftSum / (Double(leftCount) + l2) + rightSum * rightSum / (Double(rightCount) + l2) - parentScore
                        if gain > bestGain {
                            bestGain = gain
                            best = (feature, bin)
                        }
                    }
                }
            }
        }
        return best
    }
}

extension GradientBoostedTrees.Tree {
    /// Adds a leaf; returns its index.
    @discardableResult
    mutating func append(leaf value: Float) -> Int {
        self.feature.append(-1)
        self.threshold.append(0)
        self.left.append(-1)
        self.right.append(-1)
        self.value.append(value)
        return self.value.count - 1
    }
}

/// A small, fast, seedable random source (SplitMix64), so that training (and generated data) is reproducible.
public struct SplitMix: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(self.next() >> 11) / Double(1 << 53) }
}
