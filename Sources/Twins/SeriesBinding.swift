import TimeSeries
import TwinGuardCore

/// What one telemetry series maps to: its twin, its series in the store, and the model's telemetry
/// definitions (`nil` for an open model, which learns its fields).
struct SeriesBinding: Sendable {
    /// The tag that names the twin of every series.
    static let twinTag = "twin"

    let twinID: String
    let series: SeriesID
    let telemetry: [String: TelemetryDefinition]?

    /// A twin id for a line-protocol series without a `twin` tag: measurement and tag values joined by
    /// dots, characters outside the id alphabet replaced by `_`, long ids shortened with a hash.
    static func derivedTwinID(measurement: String, tags: [Tag]) -> String {
        let joined = ([measurement] + tags.map(\.value)).joined(separator: ".")
        var id = String(joined.unicodeScalars.map { scalar -> Character in
            let allowed = scalar.isASCII && (CharacterSet.alphanumerics(scalar) || ".-_:".unicodeScalars.contains(scalar))
            return allowed ? Character(scalar) : "_"
        })
        if id.utf8.count > 128 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, stable across runs
            for byte in joined.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            id = String(id.prefix(110)) + "~" + String(hash, radix: 16)
        }
        return id
    }
}

private enum CharacterSet {
    static func alphanumerics(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
