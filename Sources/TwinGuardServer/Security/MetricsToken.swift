import Foundation
import Identity

/// `DATA/metrics.token` (mode 0600): the bearer token that opens `/metrics` and nothing else, for a
/// Prometheus scraper (`authorization: {credentials_file: …}`). Made once and kept, so that a scraper's copy
/// stays valid across restarts; delete the file to make a new one.
enum MetricsToken {
    static func path(dataDir: String) -> String { dataDir + "/metrics.token" }

    /// The token of `dataDir`, made now if there is none.
    static func load(dataDir: String) throws -> String {
        let path = Self.path(dataDir: dataDir)
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.count >= 32 { return text }
        }
        let token = "tgm_" + RandomSecret.make(count: 40)
        try SecretFile.write(token + "\n", to: path)
        return token
    }
}
