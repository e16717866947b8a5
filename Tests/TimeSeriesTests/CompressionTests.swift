import Foundation
import Testing
import TwinGuardCore

@testable import TimeSeries

@Suite("Chunk compression round trips")
struct CompressionTests {
    static func column(_ timestamps: [Int64], doubles: [Double]) -> ColumnData {
        var column = ColumnData(type: .double)
        for (time, value) in zip(timestamps, doubles) { column.append(time, .double(value)) }
        return column
    }

    static let regular: [Int64] = (0..<1000).map { 1_767_225_600_000_000_000 + Int64($0) * 1_000_000_000 }

    static func assertRoundTrip(_ column: ColumnData) throws {
        let decoded = try ChunkCodec.decode(ChunkCodec.encode(column))
        #expect(decoded.timestamps == column.timestamps)
        #expect(decoded.doubles.map(\.bitPattern) == column.doubles.map(\.bitPattern))
        #expect(decoded.integers == column.integers)
        #expect(decoded.strings == column.strings)
    }

    @Test("special doubles survive bit for bit: NaN, ±Inf, -0, subnormals, extremes")
    func specialDoubles() throws {
        let values: [Double] = [
            .nan, .infinity, -.infinity, -0.0, 0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1.5, 3.25,
            Double(bitPattern: 0x7FF8_0000_0000_0001),
        ]
        try Self.assertRoundTrip(Self.column(Array(Self.regular.prefix(values.count)), doubles: values))
    }

    @Test("constant, random and decimal series round-trip; decimals compress below two bytes a value")
    func doubles() throws {
        var generator = SystemRandomNumberGenerator()
        try Self.assertRoundTrip(Self.column(Self.regular, doubles: Array(repeating: 42.5, count: 1000)))
        try Self.assertRoundTrip(Self.column(Self.regular, doubles: (0..<1000).map { _ in Double.random(in: -1e9...1e9, using: &generator) }))
        var walk = 54.72
        let decimals = (0..<1000).map { _ in
            walk = ((walk + Double(Int.random(in: -5...5)) / 100) * 100).rounded() / 100
            return walk
        }
        let column = Self.column(Self.regular, doubles: decimals)
        try Self.assertRoundTrip(column)
        #expect(ChunkCodec.encode(column).count < 2 * 1000)
    }

    @Test("irregular, negative and extreme timestamps round-trip")
    func irregularTimestamps() throws {
        var times: [Int64] = [Int64.min + 1, -5, 0, 1, 1_000, 1_000_000_007, Int64.max - 1]
        var generator = SystemRandomNumberGenerator()
        var time: Int64 = 1_700_000_000_000_000_000
        for _ in 0..<500 {
            time += Int64.random(in: 1...10_000_000_000, using: &generator)
            times.append(time)
        }
        times.sort()
        try Self.assertRoundTrip(Self.column(times, doubles: times.map { Double($0 % 1000) }))
    }

    @Test("integers, booleans and strings round-trip", arguments: [1, 2, 127, 128, 129, 1000])
    func otherTypes(count: Int) throws {
        let times = Array(Self.regular.prefix(count))
        var integers = ColumnData(type: .integer)
        var booleans = ColumnData(type: .boolean)
        var strings = ColumnData(type: .string)
        for (index, time) in times.enumerated() {
            integers.append(time, .integer(index % 7 == 0 ? Int64.min : Int64(index * index) - 500))
            booleans.append(time, .boolean(index % 3 == 0))
            strings.append(time, .string(index % 5 == 0 ? "alarm \(index)" : "ok"))
        }
        try Self.assertRoundTrip(integers)
        try Self.assertRoundTrip(booleans)
        try Self.assertRoundTrip(strings)
    }

    @Test("out-of-order points are sorted and a rewritten timestamp keeps the last value")
    func normalize() {
        var column = ColumnData(type: .double)
        for (time, value) in [(3, 3.0), (1, 1.0), (2, 2.0), (1, 10.0), (5, 5.0), (3, 30.0)] {
            column.append(Int64(time), .double(value))
        }
        column.normalize()
        #expect(column.timestamps == [1, 2, 3, 5])
        #expect(column.doubles == [10, 2, 30, 5])
    }

    @Test("a truncated or damaged chunk is an error, never a crash")
    func damagedChunks() {
        let bytes = ChunkCodec.encode(Self.column(Self.regular, doubles: Self.regular.map { Double($0 % 97) / 10 }))
        for length in stride(from: 0, to: bytes.count, by: 7) {
            _ = try? ChunkCodec.decode(Array(bytes.prefix(length)))
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            _ = try? ChunkCodec.decode(damaged)
        }
    }
}
