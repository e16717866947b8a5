import TwinGuardCore

/// A recursive-descent parser for ``TwinQuery``.
public struct TwinQueryParser {
    enum Token: Equatable {
        case word(String)
        case string(String)
        case number(Double)
        case symbol(String)
        case end

        var text: String {
            switch self {
            case .word(let word): "'\(word)'"
            case .string(let text): "string '\(text)'"
            case .number(let number): "number \(number)"
            case .symbol(let symbol): "'\(symbol)'"
            case .end: "end of query"
            }
        }
    }

    private var tokens: [(Token, Int)] = []
    private var index = 0

    /// Parses a query.
    /// - Throws: ``TwinQueryError`` with the position and the expected token.
    public static func parse(_ text: String) throws(TwinQueryError) -> TwinQuery {
        var parser = TwinQueryParser()
        parser.tokens = try Self.tokenize(text)
        let query = try parser.query()
        guard parser.peek == .end else { throw parser.error("end of query") }
        return query
    }

    private static func tokenize(_ text: String) throws(TwinQueryError) -> [(Token, Int)] {
        let characters = Array(text)
        var tokens: [(Token, Int)] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let start = index + 1
            if character.isWhitespace {
                index += 1
            } else if character.isLetter || character == "_" || character == "$" {
                var word = ""
                while index < characters.count,
                    characters[index].isLetter || characters[index].isNumber || "_$:-".contains(characters[index])
                {
                    // ':' and '-' belong to words only inside ids like tg:x:Y; keep '->' and '-[' as symbols.
                    if characters[index] == "-", index + 1 < characters.count, "[>".contains(characters[index + 1]) { break }
                    word.append(characters[index])
                    index += 1
                }
                tokens.append((.word(word), start))
            } else if character == "'" || character == "\"" {
                guard let (value, end) = QuotedText.scan(characters, from: index) else {
                    throw TwinQueryError(position: start, found: "an unterminated string", expected: "a closing \(character)")
                }
                index = end
                tokens.append((.string(value), start))
            } else if character.isNumber || (character == "-" && index + 1 < characters.count && characters[index + 1].isNumber
                && !(tokens.last.map { if case .symbol(")") = $0.0 { true } else { false } } ?? false))
            {
                var digits = String(character)
                index += 1
                while index < characters.count, characters[index].isNumber || characters[index] == "." || characters[index] == "e" {
                    if characters[index] == ".", index + 1 < characters.count, characters[index + 1] == "." { break }
                    digits.append(characters[index])
                    index += 1
                }
                guard let number = Double(digits) else { throw TwinQueryError(position: start, found: "'\(digits)'", expected: "a number") }
                tokens.append((.number(number), start))
            } else {
                let two = index + 1 < characters.count ? String([character, characters[index + 1]]) : ""
                if ["!=", "<>", "<=", ">=", "->", ".."].contains(two) {
                    tokens.append((.symbol(two == "<>" ? "!=" : two), start))
                    index += 2
                } else if "()[],.*=<>:-".contains(character) {
                    tokens.append((.symbol(String(character)), start))
                    index += 1
                } else {
                    throw TwinQueryError(position: start, found: "'\(character)'", expected: "a name, literal or operator")
                }
            }
        }
        tokens.append((.end, characters.count + 1))
        return tokens
    }

    private var peek: Token { self.tokens[self.index].0 }

    private func error(_ expected: String) -> TwinQueryError {
        TwinQueryError(position: self.tokens[self.index].1, found: self.peek.text, expected: expected)
    }

    private mutating func keyword(_ word: String) -> Bool {
        if case .word(let found) = self.peek, found.uppercased() == word {
            self.index += 1
            return true
        }
        return false
    }

    private mutating func expectKeyword(_ word: String) throws(TwinQueryError) {
        guard self.keyword(word) else { throw self.error(word) }
    }

    private mutating func symbol(_ symbol: String) -> Bool {
        if self.peek == .symbol(symbol) {
            self.index += 1
            return true
        }
        return false
    }

    private mutating func expectSymbol(_ symbol: String) throws(TwinQueryError) {
        guard self.symbol(symbol) else { throw self.error("'\(symbol)'") }
    }

    private mutating func name(_ what: String) throws(TwinQueryError) -> String {
        guard case .word(let word) = self.peek else { throw self.error(what) }
        self.index += 1
        return word
    }

    private static let reserved: Set<String> = ["SELECT", "FROM", "WHERE", "MATCH", "ORDER", "BY", "LIMIT", "AND", "OR", "NOT", "AS", "IN", "ASC", "DESC"]

    private mutating func query() throws(TwinQueryError) -> TwinQuery {
        try self.expectKeyword("SELECT")
        let projection: TwinQuery.Projection
        if self.symbol("*") {
            projection = .all
        } else if self.keyword("COUNT") {
            try self.expectSymbol("(")
            try self.expectSymbol("*")
            try self.expectSymbol(")")
            projection = .count
        } else {
            var items: [(path: TwinQuery.Path, alias: String?)] = []
            repeat {
                let path = try self.path()
                let alias = self.keyword("AS") ? try self.name("an alias") : nil
                items.append((path, alias))
            } while self.symbol(",")
            projection = .items(items)
        }
        try self.expectKeyword("FROM")
        guard self.keyword("TWINS") else { throw self.error("TWINS") }
        var query = TwinQuery(projection: projection)
        if case .word(let word) = self.peek, !Self.reserved.contains(word.uppercased()) { self.index += 1 }
        if self.keyword("MATCH") { query.match = try self.match() }
        if self.keyword("WHERE") { query.condition = try self.orExpression() }
        if self.keyword("ORDER") {
            try self.expectKeyword("BY")
            query.orderBy = try self.path()
            if self.keyword("DESC") { query.descending = true } else { _ = self.keyword("ASC") }
        }
        if self.keyword("LIMIT") {
            guard case .number(let number) = self.peek, number >= 0, number < 1e9, number == number.rounded() else {
                throw self.error("a whole number below 1000000000")
            }
            self.index += 1
            query.limit = Int(number)
        }
        return query
    }

    private mutating func match() throws(TwinQueryError) -> TwinQuery.Match {
        try self.expectSymbol("(")
        let source = try self.name("a source alias")
        try self.expectSymbol(")")
        try self.expectSymbol("-")
        try self.expectSymbol("[")
        try self.expectSymbol(":")
        let relationship = try self.name("a relationship name")
        var minimum = 1
        var maximum = 1
        if self.symbol("*") {
            guard case .number(let low) = self.peek, low >= 1, low <= 3, low == low.rounded() else { throw self.error("a hop count from 1 to 3") }
            self.index += 1
            minimum = Int(low)
            maximum = minimum
            if self.symbol("..") {
                guard case .number(let high) = self.peek, high >= low, high <= 3, high == high.rounded() else {
                    throw self.error("a hop count from \(minimum) to 3")
                }
                self.index += 1
                maximum = Int(high)
            }
        }
        try self.expectSymbol("]")
        try self.expectSymbol("->")
        try self.expectSymbol("(")
        let target = try self.name("a target alias")
        try self.expectSymbol(")")
        return TwinQuery.Match(source: source, relationship: relationship, minimumHops: minimum, maximumHops: maximum, target: target)
    }

    private static let roots: Set<String> = ["id", "model", "tags", "reported", "desired", "telemetry", "lastseen"]

    private mutating func path() throws(TwinQueryError) -> TwinQuery.Path {
        var first = try self.name("a property path such as reported.temperature")
        var alias: String?
        if !Self.roots.contains(first.lowercased()) {
            // An alias of MATCH: `site.tags.area`.
            alias = first
            try self.expectSymbol(".")
            first = try self.name("id, model, tags, reported, desired, telemetry or lastSeen")
            guard Self.roots.contains(first.lowercased()) else {
                self.index -= 1
                throw self.error("id, model, tags, reported, desired, telemetry or lastSeen")
            }
        }
        var segments = [first.lowercased() == "lastseen" ? "lastSeen" : first.lowercased()]
        if ["tags", "reported", "desired", "telemetry"].contains(segments[0]) {
            try self.expectSymbol(".")
            segments.append(try self.name("a name after \(segments[0])."))
        }
        return TwinQuery.Path(alias: alias, segments: segments)
    }

    private mutating func orExpression() throws(TwinQueryError) -> TwinQuery.Expression {
        var left = try self.andExpression()
        while self.keyword("OR") { left = .or(left, try self.andExpression()) }
        return left
    }

    private mutating func andExpression() throws(TwinQueryError) -> TwinQuery.Expression {
        var left = try self.factor()
        while self.keyword("AND") { left = .and(left, try self.factor()) }
        return left
    }

    private mutating func factor() throws(TwinQueryError) -> TwinQuery.Expression {
        if self.keyword("NOT") { return .not(try self.factor()) }
        if self.symbol("(") {
            let inner = try self.orExpression()
            try self.expectSymbol(")")
            return inner
        }
        if self.keyword("IS_DEFINED") {
            try self.expectSymbol("(")
            let path = try self.path()
            try self.expectSymbol(")")
            return .isDefined(path)
        }
        let path = try self.path()
        if self.keyword("IN") {
            try self.expectSymbol("(")
            var values: [JSONValue] = []
            repeat { values.append(try self.literal()) } while self.symbol(",")
            try self.expectSymbol(")")
            return .isIn(path, values)
        }
        guard case .symbol(let op) = self.peek, ["=", "!=", "<", "<=", ">", ">="].contains(op) else {
            throw self.error("a comparison (=, !=, <, <=, >, >=) or IN")
        }
        self.index += 1
        return .compare(path, op, try self.literal())
    }

    private mutating func literal() throws(TwinQueryError) -> JSONValue {
        switch self.peek {
        case .string(let text):
            self.index += 1
            return .string(text)
        case .number(let number):
            self.index += 1
            return .number(number)
        case .word(let word) where ["TRUE", "FALSE", "NULL"].contains(word.uppercased()):
            self.index += 1
            return word.uppercased() == "NULL" ? .null : .bool(word.uppercased() == "TRUE")
        default:
            throw self.error("a string, number, true, false or null")
        }
    }
}
