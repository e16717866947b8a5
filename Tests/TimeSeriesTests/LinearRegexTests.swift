import Foundation
import Testing

@testable import TimeSeries

@Suite("Linear-time regular expressions for tag filters")
struct LinearRegexTests {
    @Test(
        "matches as RE2 does",
        arguments: [
            ("^cpu$", "cpu", true), ("^cpu$", "cpu0", false), ("cpu", "my-cpu-0", true), ("^pump-[0-9]+$", "pump-17", true),
            ("^pump-[0-9]+$", "pump-x", false), ("a|b", "xbx", true), ("^(ab)+$", "ababab", true), ("^(ab)+$", "aba", false),
            ("^a{2,3}$", "aa", true), ("^a{2,3}$", "aaaa", false), ("^a{2}$", "aa", true), ("^a{2,}$", "aaaaa", true),
            ("\\d\\d", "x42", true), ("^\\w+$", "a_b9", true), ("^\\w+$", "a-b", false), ("[^a-c]", "abc", false),
            ("[^a-c]", "abcd", true), ("(?i)^PUMP", "pump-1", true), ("^pu.p$", "pump", true), ("^pu.p$", "pu\np", false),
            ("\\.", "a.b", true), ("\\.", "ab", false), ("^$", "", true), ("x*", "", true), ("(?:a|b)c", "bc", true),
            ("^(a*)*$", "aaaa", true), ("^a+?b$", "aab", true), ("[-a]", "-", true), ("[a\\-z]", "-", true),
            ("^é+$", "ééé", true),
        ] as [(String, String, Bool)])
    func matches(pattern: String, text: String, expected: Bool) throws {
        #expect(try LinearRegex(pattern).matches(text) == expected)
    }

    @Test("the backtracking attack of the review answers at once and correctly")
    func catastrophicPattern() throws {
        let regex = try LinearRegex("(.*a){12}$")
        let text = String(repeating: "a", count: 30) + "b"
        #expect(regex.matches(text) == false)
        #expect(try LinearRegex("(.*a){12}$").matches(String(repeating: "a", count: 12)))
        let nested = try LinearRegex("^(a+)+$")
        #expect(nested.matches(String(repeating: "a", count: 5_000) + "!") == false)
    }

    @Test(
        "refuses what it cannot run in linear time or does not understand",
        arguments: ["(?=a)", "\\1", "(a", "a)", "[a-", "*a", "a**", "a{1001}", "a{3,2}", "(a{1000}){1000}", "\\", "\\b"])
    func refusals(pattern: String) {
        #expect(throws: LinearRegex.SyntaxError.self) { try LinearRegex(pattern) }
    }

    @Test("agrees with NSRegularExpression on random short patterns and texts")
    func agreesWithFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        let atoms = ["a", "b", ".", "[ab]", "(a|b)", "(ab)", "[^a]"]
        let quantifiers = ["", "", "*", "+", "?", "{1,2}"]
        for _ in 0..<500 {
            var pattern = Bool.random(using: &generator) ? "^" : ""
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                pattern += atoms.randomElement(using: &generator)! + quantifiers.randomElement(using: &generator)!
            }
            if Bool.random(using: &generator) { pattern += "$" }
            let text = String((0..<Int.random(in: 0...6, using: &generator)).map { _ in "abc".randomElement(using: &generator)! })
            let foundation = try NSRegularExpression(pattern: pattern)
            let expected = foundation.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            #expect(try LinearRegex(pattern).matches(text) == expected, "/\(pattern)/ on '\(text)'")
        }
    }
}
