import Analytics
import ArgumentParser
import Foundation

/// `twinguard eval`: runs the analytics offline on files, to judge them against labelled data.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate the analytics on files: anomaly detection, remaining useful life.",
        subcommands: [EvalAnomalies.self, EvalRUL.self])
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

/// `twinguard eval rul --train FILE --test FILE --out PRED [--truth FILE]`.
struct EvalRUL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rul",
        abstract: "Train a remaining-useful-life model on run-to-failure histories and predict test units.",
        discussion: """
            Files in NASA's turbofan (C-MAPSS) format: whitespace-separated unit, cycle, 3 operating settings \
            and the sensors, one cycle a line. Trains on --train only; writes one predicted RUL per --test \
            unit (at its last cycle, in unit order) to --out; with --truth (one true RUL a line) prints RMSE \
            and the PHM08 score.
            """)

    @Option(help: "Run-to-failure histories to train on.")
    var train: String

    @Option(help: "Histories cut before failure, to predict.")
    var test: String

    @Option(help: "Where to write the predictions, one a line.")
    var out: String

    @Option(help: "The true RUL of each test unit, one a line.")
    var truth: String?

    @Option(name: .customLong("save-model"), help: "Also write the trained model (JSON, with its metadata) here.")
    var saveModel: String?

    @Option(help: "Cap of the remaining life in training (piece-wise linear target).")
    var cap = 125.0

    func run() throws {
        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        do {
            let histories = try TurbofanFile.read(URL(fileURLWithPath: self.train))
            let tests = try TurbofanFile.read(URL(fileURLWithPath: self.test))
            var options = RULModel.TrainingOptions()
            options.cap = self.cap
            let started = Date()
            let model = try RULModel.train(histories, source: self.train, options: options, progress: log)
            log(String(format: "trained in %.1f s", Date().timeIntervalSince(started)))
            if let saveModel { try model.save(to: URL(fileURLWithPath: saveModel)) }
            let predictions = tests.map { model.predict($0).rul }
            try RULEvaluation.writePredictions(predictions, to: URL(fileURLWithPath: self.out))
            print("predicted the RUL of \(predictions.count) test unit(s) into \(self.out)")
            if let truth {
                let expected = try RULEvaluation.readTruth(URL(fileURLWithPath: truth))
                guard expected.count == predictions.count else {
                    exitWithError(ValidationError("\(truth) has \(expected.count) value(s) for \(predictions.count) test unit(s)"))
                }
                let scores = RULEvaluation.score(predicted: predictions, truth: expected)
                print(String(format: "RMSE %.2f  PHM08 score %.1f  mean error %+.2f (positive: late)  over %d units",
                    scores.rmse, scores.phm08, scores.meanError, scores.units))
            }
        } catch {
            exitWithError(error)
        }
    }
}
