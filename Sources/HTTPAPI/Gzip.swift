import CZlib

/// Inflates gzip (and zlib) request bodies, bounded so that a small bomb cannot exhaust memory.
enum Gzip {
    struct Failure: Error {
        var message: String
        /// The output went past the limit (a 413, not a 400).
        var tooLarge = false
    }

    /// Inflates `input` piece by piece (at most 256 KiB each) into `sink`, so that the caller need not hold the
    /// whole output.
    /// - Throws: ``Failure`` for damaged input or once the output passes `limit` bytes.
    static func decompress(_ input: [UInt8], limit: Int, into sink: (ArraySlice<UInt8>) -> Void) throws(Failure) {
        var stream = z_stream()
        // 15 + 32: accept gzip or zlib headers.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(message: "cannot start gzip decoding")
        }
        defer { inflateEnd(&stream) }
        var produced = 0
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            var result: Int32 = Z_OK
            repeat {
                result = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let count = chunk.count - Int(stream.avail_out)
                produced += count
                if produced > limit { return Z_MEM_ERROR }
                sink(chunk[0..<count])
                if result == Z_BUF_ERROR && stream.avail_in == 0 { return Z_DATA_ERROR }
            } while result == Z_OK
            return result
        }
        switch status {
        case Z_STREAM_END: return
        case Z_MEM_ERROR: throw Failure(message: "the decompressed body is larger than \(limit / 1_048_576) MiB", tooLarge: true)
        default: throw Failure(message: "the gzip body is damaged or truncated")
        }
    }
}
