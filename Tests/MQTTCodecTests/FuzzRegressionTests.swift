import Foundation
import MQTTCodec
import NIOCore
import Testing

@Suite("Inputs the fuzzer ever crashed on stay fixed")
struct FuzzRegressionTests {
    /// The saved crash inputs; a missing folder fails the test (it must not pass by replaying nothing).
    static func regressionFiles() throws -> [URL] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        return files.filter { !$0.lastPathComponent.hasPrefix(".") && $0.pathExtension != "md" }
    }

    @Test("every saved crash input decodes without trapping")
    func replay() throws {
        for file in try Self.regressionFiles() {
            let data = try Data(contentsOf: file)
            MQTTFuzzing.decodeAll(ByteBuffer(bytes: data))
        }
    }

    @Test("the seed corpus decodes")
    func corpus() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/corpus").standardized
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        #expect(files.count >= 5)
        for file in files {
            var buffer = ByteBuffer(bytes: try Data(contentsOf: file))
            let frame = try #require(try MQTTFrameDecoder(maximumPacketSize: 1 << 16).decodeFrame(&buffer))
            let version: ProtocolVersion = file.lastPathComponent.contains("v4") ? .v3_1_1 : .v5
            _ = try MQTTPacket.decode(frame, version: version)
        }
    }
}
