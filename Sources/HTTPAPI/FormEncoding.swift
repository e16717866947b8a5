import Foundation
import Hummingbird

/// `application/x-www-form-urlencoded` as browsers, curl and InfluxDB clients send it: `+` is a space
/// and `%XX` a byte, in query strings and in form bodies alike.
enum FormEncoding {
    static func decode(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.unescape(parts[0])
            result[key] = parts.count == 2 ? Self.unescape(parts[1]) : ""
        }
        return result
    }

    private static func unescape(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

extension Request {
    /// The query string's parameters, decoded as forms are (`+` is a space).
    var form: [String: String] { FormEncoding.decode(self.uri.query ?? "") }
}
