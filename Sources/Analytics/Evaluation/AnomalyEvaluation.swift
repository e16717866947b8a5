import Foundation

/// `twinguard eval anomalies`: streams every CSV file under a folder through a fresh detector, writes
/// the scores beside a copy of each row, and, given labelled anomaly windows, scores the detections.
public struct AnomalyEvaluation: Sendable {
    public var input: URL
    public var output: URL
    public var labels: URL?
    public var detector: DetectorChoice
    /// Scores at or above this count as detections.
    public var threshold: Double
    /// Whether to add a fourth column, `anomaly_kind`, naming the component that scored highest.
    public var explain = false
    /// Progress lines (one per file) go here.
    public var progress: @Sendable (String) -> Void

    public init(
        input: URL, output: URL, labels: URL? = nil, detector: DetectorChoice = .twinguard, threshold: Double = 0.5,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.input = input
        self.output = output
        self.labels = labels
        self.detector = detector
        self.threshold = threshold
        self.progress = progress
    }

    /// What a run found.
    public struct Summary: Sendable {
        public var files = 0
        public var values = 0
        /// Seconds spent in the detector alone.
        public var detectorSeconds = 0.0
        /// Per file (relative path), its scores and labelled windows; only where labels were given.
        public var labelled: [String: NABScorer.Series] = [:]
        public var unlabelledFiles: [String] = []

        public var valuesPerSecond: Double { self.detectorSeconds > 0 ? Double(self.values) / self.detectorSeconds : 0 }
    }

    /// Runs the evaluation.
    public func run() throws(AnalyticsError) -> Summary {
        let files = try Self.csvFiles(under: self.input)
        guard !files.isEmpty else {
            throw AnalyticsError(.unreadableInput, "no .csv files under \(self.input.path); expected files with columns 'timestamp,value'")
        }
        let windows = try self.labels.map { url throws(AnalyticsError) in try Self.readLabels(url) }
        var summary = Summary()
        let clock = ContinuousClock()
        for (position, relative) in files.enumerated() {
            let source = self.input.appendingPathComponent(relative)
            let text: String
            do {
                text = try String(contentsOf: source, encoding: .utf8)
            } catch {
                throw AnalyticsError(.unreadableInput, "cannot read \(source.path): \(error.localizedDescription)")
            }
            let csv = try SeriesCSV(text: text, path: relative)
            var scorer = self.detector.make()
            var scores = [Double](repeating: 0, count: csv.count)
            var kinds = [AnomalyKind](repeating: .spike, count: self.explain ? csv.count : 0)
            let elapsed = clock.measure {
                for index in 0..<csv.count {
                    let result = scorer.score(csv.values[index], at: csv.times[index])
                    scores[index] = result.score
                    if self.explain { kinds[index] = result.kind }
                }
            }
            summary.detectorSeconds += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            summary.values += csv.count
            summary.files += 1
            try self.write(csv, scores: scores, kinds: kinds, to: self.output.appendingPathComponent(relative))
            if let windows {
                if let fileWindows = windows[relative] {
                    summary.labelled[relative] = NABScorer.Series(scores: scores, windows: Self.rowRanges(fileWindows, in: csv))
                } else {
                    summary.unlabelledFiles.append(relative)
                }
            }
            self.progress("[\(position + 1)/\(files.count)] \(relative): \(csv.count) rows, \(scores.filter { $0 >= self.threshold }.count) at or above \(self.threshold)")
        }
        return summary
    }

    /// Relative paths of the CSV files under `root`, sorted.
    static func csvFiles(under root: URL) throws(AnalyticsError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AnalyticsError(.unreadableInput, "\(root.path) is not a directory")
        }
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw AnalyticsError(.unreadableInput, "cannot list \(root.path)")
        }
        let base = root.standardizedFileURL.resolvingSymlinksInPath().path
        var found: [String] = []
        for case let url as URL in enumerator where url.pathExtension.lowercased() == "csv" {
            let path = url.standardizedFileURL.resolvingSymlinksInPath().path
            guard path.hasPrefix(base + "/") else { continue }
            found.append(String(path.dropFirst(base.count + 1)))
        }
        return found.sorted()
    }

    /// The labels file: relative path → list of `[start, end]` timestamps.
    static func readLabels(_ url: URL) throws(AnalyticsError) -> [String: [(String, String)]] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        } catch {
            throw AnalyticsError(.invalidLabels, "cannot read the labels \(url.path) as JSON: \(error.localizedDescription)")
        }
        guard let files = object as? [String: Any] else {
            throw AnalyticsError(.invalidLabels, "\(url.path): expected an object of file path → list of [start, end] timestamps")
        }
        var labels: [String: [(String, String)]] = [:]
        for (path, value) in files {
            guard let list = value as? [Any] else {
                throw AnalyticsError(.invalidLabels, "\(url.path): the windows of '\(path)' are not a list")
            }
            labels[path] = try list.enumerated().map { (index, element) throws(AnalyticsError) -> (String, String) in
                guard let pair = element as? [Any], pair.count == 2 else {
                    throw AnalyticsError(.invalidLabels, "\(url.path): window \(index) of '\(path)' is not a [start, end] pair")
                }
                return ("\(pair[0])", "\(pair[1])")
            }
        }
        return labels
    }

    /// Row ranges of windows given as timestamps (compared as times, or as text where they are not).
    static func rowRanges(_ windows: [(String, String)], in csv: SeriesCSV) -> [ClosedRange<Int>] {
        windows.compactMap { start, end in
            if let from = TimestampText.seconds(Array(start.utf8)), let to = TimestampText.seconds(Array(end.utf8)) {
                let first = csv.times.firstIndex { $0 >= from }
                let last = csv.times.lastIndex { $0 <= to }
                guard let first, let last, first <= last else { return nil }
                return first...last
            }
            let texts = csv.timestampTexts.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
            guard let first = texts.firstIndex(of: start), let last = texts.lastIndex(of: end), first <= last else { return nil }
            return first...last
        }
    }

    private func write(_ csv: SeriesCSV, scores: [Double], kinds: [AnomalyKind], to destination: URL) throws(AnalyticsError) {
        var text = kinds.isEmpty ? "timestamp,value,anomaly_score\n" : "timestamp,value,anomaly_score,anomaly_kind\n"
        text.reserveCapacity(csv.count * 40)
        for index in 0..<csv.count {
            text += csv.timestampTexts[index]
            text += ","
            text += csv.valueTexts[index]
            text += ","
            text += Self.format(scores[index])
            if !kinds.isEmpty {
                text += ","
                text += kinds[index].rawValue
            }
            text += "\n"
        }
        do {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: destination, options: .atomic)
        } catch {
            throw AnalyticsError(.unreadableInput, "cannot write \(destination.path): \(error.localizedDescription)")
        }
    }

    /// A score with six decimals (enough for thresholds, short enough for large files).
    static func format(_ score: Double) -> String {
        let scaled = Int((min(max(score, 0), 1) * 1_000_000).rounded())
        let whole = scaled / 1_000_000
        let fraction = String(scaled % 1_000_000)
        return "\(whole)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
