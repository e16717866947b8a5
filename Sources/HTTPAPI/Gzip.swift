import CompressNIO
import NIOCore

/// Inflates gzip (and zlib) request bodies with CompressNIO, bounded so that a small bomb cannot exhaust memory.
enum Gzip {
    struct Failure: Error {
        var message: String
        /// The output went past the limit (a 413, not a 400).
        var tooLarge = false
    }

    /// Inflates `input` piece by piece (at most 256 KiB each) into `sink`, so that the caller need not hold the
    /// whole output.
    /// - Throws: ``Failure`` for damaged or truncated input, or once the output passes `limit` bytes.
    static func decompress(_ input: [UInt8], limit: Int, into sink: (ArraySlice<UInt8>) -> Void) throws(Failure) {
        let damaged = Failure(message: "the gzip body is damaged or truncated")
        guard !input.isEmpty else { throw damaged }
        // A gzip member starts with 1f 8b; anything else is read as a zlib stream.
        let algorithm: ZlibAlgorithm = input.starts(with: [0x1f, 0x8b]) ? .gzip : .zlib
        let decompressor: ZlibDecompressor
        do { decompressor = try ZlibDecompressor(algorithm: algorithm) } catch { throw Failure(message: "cannot start gzip decoding") }
        var source = ByteBuffer(bytes: input)
        var window = ByteBufferAllocator().buffer(capacity: 256 * 1024)
        var produced = 0
        // Whether the last round returned without error having used every input byte.
        var drained = false
        while true {
            var windowFull = false
            do {
                try decompressor.inflate(from: &source, to: &window)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                windowFull = true
            } catch {
                // Damaged data, or the input ended before the stream did (inputBufferOverflow).
                throw damaged
            }
            produced += window.readableBytes
            guard produced <= limit else {
                throw Failure(message: "the decompressed body is larger than \(limit / 1_048_576) MiB", tooLarge: true)
            }
            if window.readableBytes > 0 { sink(ArraySlice(window.readableBytesView)) }
            window.clear()
            if windowFull { continue }
            // Back without error: with input left, the stream ended (what follows it is ignored). With none left,
            // it ended or zlib wants more; one more round with nothing tells (an ended stream returns at once, a
            // truncated one throws).
            if source.readableBytes > 0 || drained { return }
            drained = true
        }
    }
}
