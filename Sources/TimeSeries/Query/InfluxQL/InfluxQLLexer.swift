import TwinGuardCore

/// A token of InfluxQL with its position (1-based character) for error messages.
struct InfluxQLToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)  // bare or "quoted"
        case keyword(String)  // upper-cased
        case string(String)  // 'single quoted'
        case number(Double, isInteger: Bool)
        case duration(Int64)  // ns
        case regex(String)
        case symbol(String)  // , ( ) ; . * = != <> < <= > >= =~ !~ + -
        case end
    }

    var kind: Kind
    var position: Int

    var text: String {
        switch self.kind {
        case .identifier(let name): name
        case .keyword(let word): word
        case .string(let text): "'\(text)'"
        case .number(let number, let isInteger): isInteger && abs(number) < 9.2e18 ? String(Int64(number)) : String(number)
        case .duration(let ns): "\(ns)ns"
        case .regex(let pattern): "/\(pattern)/"
        case .symbol(let symbol): symbol
        case .end: "EOF"
        }
    }
}

/// Splits InfluxQL text into tokens.
struct InfluxQLLexer {
    static let keywords: Set<String> = [
        "SELECT", "FROM", "WHERE", "GROUP", "BY", "LIMIT", "SLIMIT", "OFFSET", "SOFFSET", "ORDER", "ASC", "DESC",
        "AND", "OR", "AS", "SHOW", "DATABASES", "MEASUREMENTS", "TAG", "KEYS", "VALUES", "FIELD", "WITH", "KEY", "IN",
        "CREATE", "DATABASE", "ON", "RETENTION", "POLICIES", "SERIES", "TZ", "NOT",
    ]

    static let durationUnits: [(String, Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("u", 1_000), ("µ", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000), ("w", 604_800_000_000_000),
    ]

    static func tokenize(_ text: String) throws(TimeSeriesError) -> [InfluxQLToken] {
        let characters = Array(text)
        var tokens: [InfluxQLToken] = []
        var index = 0
        func fail(_ message: String, _ at: Int) -> TimeSeriesError {
            .invalidQuery("error parsing query: \(message) at line 1, char \(at + 1)")
        }
        while index < characters.count {
            let character = characters[index]
            let start = index
            if character.isWhitespace {
                index += 1
                continue
            }
            if character == "-" && index + 1 < characters.count && characters[index + 1] == "-" {
                while index < characters.count && characters[index] != "\n" { index += 1 }
                continue
            }
            if character.isLetter || character == "_" {
                var word = ""
                while index < characters.count && (characters[index].isLetter || characters[index].isNumber || characters[index] == "_") {
                    word.append(characters[index])
                    index += 1
                }
                let upper = word.uppercased()
                tokens.append(InfluxQLToken(kind: Self.keywords.contains(upper) ? .keyword(upper) : .identifier(word), position: start + 1))
                continue
            }
            if character == "\"" || character == "'" {
                guard let (value, end) = QuotedText.scan(characters, from: index) else {
                    throw fail("unterminated \(character == "'" ? "string" : "identifier")", start)
                }
                index = end
                tokens.append(InfluxQLToken(kind: character == "'" ? .string(value) : .identifier(value), position: start + 1))
                continue
            }
            if character.isNumber || (character == "." && index + 1 < characters.count && characters[index + 1].isNumber) {
                var digits = ""
                var isInteger = true
                while index < characters.count && (characters[index].isNumber || characters[index] == ".") {
                    if characters[index] == "." { isInteger = false }
                    digits.append(characters[index])
                    index += 1
                }
                if index < characters.count && (characters[index] == "e" || characters[index] == "E"),
                    index + 1 < characters.count, characters[index + 1].isNumber || characters[index + 1] == "-" || characters[index + 1] == "+"
                {
                    isInteger = false
                    digits.append("e")
                    index += 1
                    while index < characters.count && (characters[index].isNumber || characters[index] == "-" || characters[index] == "+") {
                        digits.append(characters[index])
                        index += 1
                    }
                }
                // A duration: an integer followed directly by a unit.
                var unit = ""
                var probe = index
                while probe < characters.count && (characters[probe].isLetter) {
                    unit.append(characters[probe])
                    probe += 1
                }
                if isInteger, !unit.isEmpty, let scale = Self.durationUnits.first(where: { $0.0 == unit })?.1 {
                    guard let count = Int64(digits) else { throw fail("bad duration", start) }
                    let (ns, overflow) = count.multipliedReportingOverflow(by: scale)
                    guard !overflow else { throw fail("duration too large", start) }
                    tokens.append(InfluxQLToken(kind: .duration(ns), position: start + 1))
                    index = probe
                    continue
                }
                guard let number = Double(digits) else { throw fail("bad number \(digits)", start) }
                tokens.append(InfluxQLToken(kind: .number(number, isInteger: isInteger), position: start + 1))
                continue
            }
            if character == "/" {
                // A regular expression literal where one may appear (after =~, !~, FROM, or at the start).
                let previous = tokens.last?.kind
                let regexAllowed = previous == .symbol("=~") || previous == .symbol("!~") || previous == .keyword("FROM")
                    || previous == .keyword("KEY") || previous == .symbol("=")
                if regexAllowed {
                    index += 1
                    var pattern = ""
                    var closed = false
                    while index < characters.count {
                        if characters[index] == "\\" && index + 1 < characters.count && characters[index + 1] == "/" {
                            pattern.append("/")
                            index += 2
                            continue
                        }
                        if characters[index] == "/" {
                            closed = true
                            index += 1
                            break
                        }
                        pattern.append(characters[index])
                        index += 1
                    }
                    guard closed else { throw fail("unterminated regex", start) }
                    tokens.append(InfluxQLToken(kind: .regex(pattern), position: start + 1))
                    continue
                }
            }
            let two = index + 1 < characters.count ? String([character, characters[index + 1]]) : ""
            if ["!=", "<>", "<=", ">=", "=~", "!~", "::"].contains(two) {
                tokens.append(InfluxQLToken(kind: .symbol(two == "<>" ? "!=" : two), position: start + 1))
                index += 2
                continue
            }
            if ",();.*=<>+-/".contains(character) {
                tokens.append(InfluxQLToken(kind: .symbol(String(character)), position: start + 1))
                index += 1
                continue
            }
            throw fail("found \(character), expected a statement", start)
        }
        tokens.append(InfluxQLToken(kind: .end, position: characters.count + 1))
        return tokens
    }
}
