import Foundation
import Testing

@testable import TimeSeries

@Suite("Inputs the telemetry fuzzer ever crashed on stay fixed")
struct TelemetryFuzzRegressionTests {
    @Test("every saved crash input and the seed corpus parse without trapping")
    func replay() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let folders = [here.appendingPathComponent("FuzzRegressions"), here.appendingPathComponent("../../Fuzz/corpus-telemetry").standardized]
        var replayed = 0
        for folder in folders {
            // A missing folder fails the test: it must not pass by replaying nothing.
            let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            for file in files where !file.lastPathComponent.hasPrefix(".") {
                TelemetryFuzzing.parseAll([UInt8](try Data(contentsOf: file)))
                replayed += 1
            }
        }
        #expect(replayed >= 4)
    }
}
