import Analytics
import Foundation
import Testing

/// The shipped labelled set, `data/anomaly-set` at the package root.
let anomalySet = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("data/anomaly-set")

@Suite("Anomaly evaluation")
struct AnomalyEvaluationTests {
    func evaluate(_ detector: DetectorChoice) throws -> (AnomalyEvaluation.Summary, URL) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tg-eval-\(UUID())")
        let evaluation = AnomalyEvaluation(
            input: anomalySet, output: output, labels: anomalySet.appendingPathComponent("labels.json"), detector: detector)
        return (try evaluation.run(), output)
    }

    func series(_ summary: AnomalyEvaluation.Summary) -> [NABScorer.Series] {
        summary.labelled.keys.sorted().map { summary.labelled[$0]! }
    }

    @Test("finds the shipped set's anomalies with few false alarms, well ahead of the baselines")
    func shippedSet() throws {
        let (summary, output) = try self.evaluate(.twinguard)
        defer { try? FileManager.default.removeItem(at: output) }
        #expect(summary.files == 10 && summary.labelled.count == 10)
        let result = NABScorer.score(self.series(summary), threshold: 0.5, profile: .standard)
        // Measured: 14 of 16 windows, 33 false-positive rows, NAB standard 70.8.
        #expect(result.windows == 16)
        #expect(result.recall >= 0.75)
        #expect(result.falsePositives <= 60)
        #expect(result.normalized >= 55)
        for baseline in [DetectorChoice.zscore, .ewma] {
            let (other, folder) = try self.evaluate(baseline)
            defer { try? FileManager.default.removeItem(at: folder) }
            let best = NABScorer.bestThreshold(self.series(other), profile: .standard).result
            #expect(result.normalized >= best.normalized + 20, "\(baseline) scores \(best.normalized) at its best threshold")
        }
    }

    @Test("copies timestamps and values verbatim and scores every row")
    func outputFormat() throws {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("tg-in-\(UUID())")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tg-out-\(UUID())")
        defer {
            try? FileManager.default.removeItem(at: input)
            try? FileManager.default.removeItem(at: output)
        }
        try FileManager.default.createDirectory(at: input.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        var text = "timestamp,value\r\n"
        for index in 0..<300 { text += "2014-04-01T00:\(String(format: "%02d", index % 60)):00.000Z,\(index % 7 == 0 ? "" : "\(Double(index) / 10)")\r\n" }
        try text.write(to: input.appendingPathComponent("a/b/x.csv"), atomically: true, encoding: .utf8)
        let summary = try AnomalyEvaluation(input: input, output: output).run()
        #expect(summary.values == 300)
        let lines = try String(contentsOf: output.appendingPathComponent("a/b/x.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 301 && lines[0] == "timestamp,value,anomaly_score")
        #expect(lines[1] == "2014-04-01T00:00:00.000Z,,0.000000")
        #expect(lines[2].hasPrefix("2014-04-01T00:01:00.000Z,0.1,"))
    }

    @Test("refuses malformed input with a clear message")
    func malformed() throws {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("tg-bad-\(UUID())")
        defer { try? FileManager.default.removeItem(at: input) }
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try "timestamp,value\n2014-04-01 00:00:00\n".write(to: input.appendingPathComponent("x.csv"), atomically: true, encoding: .utf8)
        #expect { try AnomalyEvaluation(input: input, output: input.appendingPathComponent("out")).run() } throws: { error in
            "\(error)".contains("x.csv line 2")
        }
        #expect { try AnomalyEvaluation(input: input.appendingPathComponent("missing"), output: input).run() } throws: { error in
            "\(error)".contains("not a directory")
        }
    }

    @Test("NAB scoring: early detection earns more, false positives and misses cost")
    func nabScoring() {
        var scores = [Double](repeating: 0, count: 1000)
        let window = 500...599
        let perfect = NABScorer.score([.init(scores: { var s = scores; s[500] = 1; return s }(), windows: [window])], threshold: 0.5, profile: .standard)
        #expect(abs(perfect.normalized - 100) < 0.01)
        let late = NABScorer.score([.init(scores: { var s = scores; s[590] = 1; return s }(), windows: [window])], threshold: 0.5, profile: .standard)
        #expect(late.normalized > 50 && late.normalized < perfect.normalized)
        scores[300] = 1
        let falseAlarm = NABScorer.score([.init(scores: scores, windows: [window])], threshold: 0.5, profile: .standard)
        #expect(falseAlarm.falsePositives == 1 && falseAlarm.detectedWindows == 0)
        #expect(abs(falseAlarm.normalized - (-0.11 / 1.9866 * 100)) < 0.1)
        #expect(falseAlarm.recall == 0)
    }

    @Test("reads the timestamp formats of real files", arguments: [
        ("2014-04-01 00:00:00", 1_396_310_400.0), ("2014-04-01T00:00:00Z", 1_396_310_400), ("2014-04-01 00:00:00.500000", 1_396_310_400.5),
        ("2014-04-01T02:00:00+02:00", 1_396_310_400), ("2014-04-01", 1_396_310_400), ("1396310400", 1_396_310_400),
        ("1396310400000", 1_396_310_400), ("\"2014-04-01 00:00:00\"", 1_396_310_400),
    ])
    func timestamps(_ text: String, _ seconds: Double) {
        #expect(TimestampText.seconds(Array(text.utf8)) == seconds)
    }
}
