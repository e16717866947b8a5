/// One file of the web console, embedded in the binary.
public struct ConsoleAsset: Sendable {
    /// The `Content-Type` to serve it with.
    public let contentType: String
    /// Its text (every console file is UTF-8 text).
    public let text: String

    /// A strong validator for `ETag`: FNV-1a 64 of the text, in hex.
    public var etag: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in self.text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return "\"" + String(hash, radix: 16) + "\""
    }
}

/// The web console: a single page (`index.html`) and its scripts and style sheet, written in plain
/// JavaScript and CSS with no build step, plus one vendored library (`vendor/qrcode.js`, MIT, for the
/// TOTP enrolment's QR code). `scripts/console-embed` turns `Sources/Console/Assets` into
/// `EmbeddedAssets.swift`, so the binary needs no files beside it.
public enum ConsoleAssets {
    /// The page every console address answers with.
    public static var page: ConsoleAsset { Self.files["index.html"]! }

    /// The asset at `path` (relative to `/assets/`), if there is one.
    public static func asset(_ path: String) -> ConsoleAsset? {
        Self.files[path]
    }
}
