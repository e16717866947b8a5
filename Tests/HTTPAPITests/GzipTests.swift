import CompressNIO
import NIOCore
import Testing

@testable import HTTPAPI

@Suite("Gzip request bodies: inflated in pieces, bounded, damaged input refused")
struct GzipTests {
    static func compressed(_ bytes: [UInt8], _ algorithm: CompressionAlgorithm = .gzip()) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        let result = try buffer.compress(with: algorithm)
        return Array(result.readableBytesView)
    }

    static func inflate(_ input: [UInt8], limit: Int = 1 << 30) throws(Gzip.Failure) -> [UInt8] {
        var output: [UInt8] = []
        try Gzip.decompress(input, limit: limit) { output += $0 }
        return output
    }

    @Test("gzip and zlib bodies round-trip, across many windows of output", arguments: [0, 1, 1_000, 3 * 256 * 1024 + 17])
    func roundTrip(size: Int) throws {
        let original = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }
        #expect(try Self.inflate(try Self.compressed(original)) == original)
        #expect(try Self.inflate(try Self.compressed(original, .zlib())) == original)
    }

    @Test("a bomb stops at the limit with a 'too large' failure")
    func bomb() throws {
        let bomb = try Self.compressed([UInt8](repeating: 0, count: 8 << 20))
        #expect(bomb.count < 64 * 1024)
        #expect(throws: Gzip.Failure.self) { try Self.inflate(bomb, limit: 1 << 20) }
        do {
            _ = try Self.inflate(bomb, limit: 1 << 20)
        } catch {
            #expect(error.tooLarge)
        }
    }

    @Test("truncated, damaged and empty bodies are refused, not half-read")
    func damaged() throws {
        let good = try Self.compressed(Array("weather,location=us-midwest temperature=82 1465839830100400200\n".utf8))
        for input in [Array(good.dropLast(9)), Array(good.prefix(12)), [0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff], [], [1, 2, 3, 4]] {
            #expect(throws: Gzip.Failure.self) { try Self.inflate(input) }
        }
        var flipped = good
        flipped[flipped.count / 2] ^= 0xff
        #expect(throws: Gzip.Failure.self) { try Self.inflate(flipped) }
    }
}
