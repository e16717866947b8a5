import Analytics
import ArgumentParser
import Foundation

/// `twinguard eval`: runs the analytics offline on files, to judge them against labelled data.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate the analytics on files: anomaly detection, remaining useful life.",
        subcommands: [EvalAnomalies.self])
}

extension DetectorChoice: ExpressibleByArgument {}

/// `twinguard eval anomalies DIR --out OUT [--labels FILE]`.
struct EvalAnomalies: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies",
        abstract: "Score every timestamp,value CSV under DIR with a fresh streaming detector.",
        discussion: """
            Each file's rows are scored in order, each before the detector sees the next, and written to \
            OUT/<same relative path> as timestamp,value,anomaly_score. With --labels (JSON: relative path → \
            list of [start, end] timestamps) it prints precision, recall, F1 and NAB-style scores.
            """)

    @Argument(help: "A folder of CSV files (searched recursively).")
    var directory: String

    @Option(help: "Where to write the scored files.")
    var out: String

    @Option(help: "Anomaly windows: JSON object of relative path → list of [start, end] timestamps.")
    var labels: String?

    @Option(help: "The detector: twinguard, or a baseline (zscore, ewma).")
    var detector: DetectorChoice = .twinguard

    @Option(help: "Scores at or above this are detections.")
    var threshold = 0.5

    @Flag(help: "Add a column anomaly_kind naming what the detector saw (spike, level_shift, drift, …).")
    var explain = false

    @Flag(help: "Also run the baselines and print their scores (needs --labels).")
    var compare = false

    func run() throws {
        guard (0...1).contains(self.threshold) else { exitWithError(ValidationError("--threshold must be between 0 and 1")) }
        let choices = self.compare ? [self.detector] + DetectorChoice.allCases.filter { $0 != self.detector } : [self.detector]
        for (index, choice) in choices.enumerated() {
            let output = index == 0 ? self.out : self.out + "-" + choice.rawValue
            var evaluation = AnomalyEvaluation(
                input: URL(fileURLWithPath: self.directory), output: URL(fileURLWithPath: output),
                labels: self.labels.map { URL(fileURLWithPath: $0) }, detector: choice, threshold: self.threshold,
                progress: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
            evaluation.explain = self.explain
            do {
                let summary = try evaluation.run()
                print("\(choice.rawValue): scored \(summary.values) values in \(summary.files) file(s) into \(output) "
                    + String(format: "(%.0f values/s in the detector)", summary.valuesPerSecond))
                if self.labels != nil { print(summary.report(threshold: self.threshold, detector: choice)) }
            } catch {
                exitWithError(error)
            }
        }
    }
}
