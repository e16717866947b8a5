/// A regular expression matched in time linear in the text (a Thompson NFA run as a Pike VM, as RE2 and Go's
/// `regexp`, which InfluxDB uses, do), so that no pattern can make a query backtrack for seconds.
///
/// The syntax is the RE2 subset that tag filters use: literals and escapes (`\.`, `\/`, `\t`, `\n`), `.`,
/// classes (`[a-z0-9_]`, `[^…]`, `\d \D \w \W \s \S`), anchors `^` and `$`, groups `( )` and `(?: )`,
/// alternation `|`, quantifiers `* + ? {n} {n,} {n,m}` (a trailing `?` for laziness is accepted: it does
/// not change whether a text matches), and a leading `(?i)` for case-insensitive matching. Back-references
/// and look-around, which no linear matcher can offer, are refused with a clear message.
public struct LinearRegex: Sendable {
    /// Why a pattern was refused.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The most NFA instructions a pattern may compile to (counted repetitions expand).
    public static let maximumProgramSize = 10_000
    /// The largest count in `{n,m}`.
    public static let maximumRepetition = 1_000

    private let program: [Instruction]

    /// Compiles `pattern`.
    /// - Throws: ``SyntaxError`` for malformed or unsupported syntax, or a pattern too large to run.
    public init(_ pattern: String) throws(SyntaxError) {
        var parser = Parser(Array(pattern.unicodeScalars))
        let tree = try parser.parse()
        var compiler = Compiler(caseInsensitive: parser.caseInsensitive)
        try compiler.emit(tree)
        compiler.program.append(.match)
        self.program = compiler.program
    }

    /// Whether the pattern matches anywhere in `text` (unanchored search, like `regexp.MatchString`).
    public func matches(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        var current: [Int] = []
        var next: [Int] = []
        var marks = [Int](repeating: -1, count: self.program.count)
        var stack: [Int] = []
        var generation = 0
        for position in 0...scalars.count {
            // A thread may start at every position (unanchored); the generation keeps each pc once a step.
            if self.add(0, at: position, count: scalars.count, to: &current, marks: &marks, generation: generation, stack: &stack) {
                return true
            }
            guard position < scalars.count else { break }
            let scalar = scalars[position]
            generation += 1
            next.removeAll(keepingCapacity: true)
            for pc in current {
                guard case .scalar(let set) = self.program[pc], set.contains(scalar) else { continue }
                if self.add(pc + 1, at: position + 1, count: scalars.count, to: &next, marks: &marks, generation: generation, stack: &stack) {
                    return true
                }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds the thread at `start` and everything reachable from it without consuming input.
    /// - Returns: whether a thread reached the match.
    private func add(
        _ start: Int, at position: Int, count: Int, to list: inout [Int], marks: inout [Int], generation: Int, stack: inout [Int]
    ) -> Bool {
        stack.append(start)
        while let pc = stack.popLast() {
            guard marks[pc] != generation else { continue }
            marks[pc] = generation
            switch self.program[pc] {
            case .match:
                stack.removeAll()
                return true
            case .jump(let target): stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .lineStart: if position == 0 { stack.append(pc + 1) }
            case .lineEnd: if position == count { stack.append(pc + 1) }
            case .scalar: list.append(pc)
            }
        }
        return false
    }

    // MARK: - Program

    enum Instruction: Sendable {
        case scalar(ScalarSet)
        case split(Int, Int)
        case jump(Int)
        case lineStart
        case lineEnd
        case match
    }

    /// A set of scalars: ranges, possibly negated, possibly case-insensitive.
    struct ScalarSet: Sendable {
        var ranges: [ClosedRange<UInt32>]
        var negated = false
        var caseInsensitive = false

        static let any = ScalarSet(ranges: [0...9, 11...0x10FFFF])  // `.`: everything but a newline
        static let digit = ScalarSet(ranges: [48...57])
        static let word = ScalarSet(ranges: [48...57, 65...90, 95...95, 97...122])
        static let space = ScalarSet(ranges: [9...13, 32...32])

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            var found = self.directlyContains(scalar.value)
            if !found && self.caseInsensitive {
                for variant in [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping] {
                    let mapped = variant.unicodeScalars
                    if mapped.count == 1, let only = mapped.first, self.directlyContains(only.value) {
                        found = true
                        break
                    }
                }
            }
            return found != self.negated
        }

        private func directlyContains(_ value: UInt32) -> Bool {
            self.ranges.contains { $0.contains(value) }
        }
    }

    // MARK: - Syntax tree

    indirect enum Node {
        case empty
        case set(ScalarSet)
        case lineStart
        case lineEnd
        case sequence([Node])
        case alternatives([Node])
        case repetition(Node, minimum: Int, maximum: Int?)
    }

    struct Parser {
        let text: [Unicode.Scalar]
        var index = 0
        var caseInsensitive = false
        var depth = 0

        init(_ text: [Unicode.Scalar]) {
            self.text = text
        }

        mutating func parse() throws(SyntaxError) -> Node {
            if self.text.starts(with: Array("(?i)".unicodeScalars)) {
                self.caseInsensitive = true
                self.index = 4
            }
            let node = try self.alternatives()
            guard self.index == self.text.count else { throw self.fail("unexpected ')'") }
            return node
        }

        func fail(_ message: String) -> SyntaxError {
            SyntaxError(description: "\(message) at position \(self.index + 1)")
        }

        var peek: Unicode.Scalar? { self.index < self.text.count ? self.text[self.index] : nil }

        mutating func alternatives() throws(SyntaxError) -> Node {
            var branches = [try self.sequence()]
            while self.peek == "|" {
                self.index += 1
                branches.append(try self.sequence())
            }
            return branches.count == 1 ? branches[0] : .alternatives(branches)
        }

        mutating func sequence() throws(SyntaxError) -> Node {
            var items: [Node] = []
            while let scalar = self.peek, scalar != "|", scalar != ")" {
                var atom = try self.atom()
                while let quantifier = self.peek, "*+?{".unicodeScalars.contains(quantifier) {
                    if case .lineStart = atom { throw self.fail("nothing to repeat") }
                    if case .lineEnd = atom { throw self.fail("nothing to repeat") }
                    atom = try self.quantified(atom)
                }
                items.append(atom)
            }
            return items.count == 1 ? items[0] : (items.isEmpty ? .empty : .sequence(items))
        }

        mutating func quantified(_ atom: Node) throws(SyntaxError) -> Node {
            let scalar = self.text[self.index]
            self.index += 1
            var minimum = 0
            var maximum: Int?
            switch scalar {
            case "*": break
            case "+": minimum = 1
            case "?": maximum = 1
            default:
                minimum = try self.count()
                maximum = minimum
                if self.peek == "," {
                    self.index += 1
                    maximum = self.peek == "}" ? nil : try self.count()
                }
                guard self.peek == "}" else { throw self.fail("expected '}'") }
                self.index += 1
                if let maximum, maximum < minimum { throw self.fail("bad repetition {\(minimum),\(maximum)}") }
            }
            if self.peek == "?" { self.index += 1 }  // lazy: the same set of matching texts
            if case .repetition = atom { throw self.fail("a repetition cannot repeat directly; group it") }
            return .repetition(atom, minimum: minimum, maximum: maximum)
        }

        mutating func count() throws(SyntaxError) -> Int {
            var value = 0
            var digits = 0
            while let scalar = self.peek, scalar.value >= 48, scalar.value <= 57 {
                value = value * 10 + Int(scalar.value - 48)
                digits += 1
                self.index += 1
                guard value <= LinearRegex.maximumRepetition else { throw self.fail("repetition count above \(LinearRegex.maximumRepetition)") }
            }
            guard digits > 0 else { throw self.fail("expected a number in {…}") }
            return value
        }

        mutating func atom() throws(SyntaxError) -> Node {
            let scalar = self.text[self.index]
            self.index += 1
            switch scalar {
            case ".": return .set(.any)
            case "^": return .lineStart
            case "$": return .lineEnd
            case "*", "+", "?", "{": throw SyntaxError(description: "nothing to repeat at position \(self.index)")
            case "[": return .set(try self.bracket())
            case "\\": return .set(try self.escape())
            case "(":
                if self.peek == "?" {
                    guard self.index + 1 < self.text.count, self.text[self.index + 1] == ":" else {
                        throw self.fail("only (?:…) groups and a leading (?i) are supported (no look-around)")
                    }
                    self.index += 2
                }
                self.depth += 1
                guard self.depth <= 100 else { throw self.fail("groups nested too deeply") }
                let inner = try self.alternatives()
                guard self.peek == ")" else { throw self.fail("missing ')'") }
                self.index += 1
                self.depth -= 1
                // Wrapped, so that a quantifier after the group repeats the group: `(a*)*` is legal, `a**` is not.
                return .sequence([inner])
            default: return .set(ScalarSet(ranges: [scalar.value...scalar.value]))
            }
        }

        mutating func escape() throws(SyntaxError) -> ScalarSet {
            guard let scalar = self.peek else { throw self.fail("trailing backslash") }
            self.index += 1
            switch scalar {
            case "d": return .digit
            case "D": return ScalarSet(ranges: ScalarSet.digit.ranges, negated: true)
            case "w": return .word
            case "W": return ScalarSet(ranges: ScalarSet.word.ranges, negated: true)
            case "s": return .space
            case "S": return ScalarSet(ranges: ScalarSet.space.ranges, negated: true)
            case "t": return ScalarSet(ranges: [9...9])
            case "n": return ScalarSet(ranges: [10...10])
            case "r": return ScalarSet(ranges: [13...13])
            default:
                if scalar.properties.isAlphabetic || (scalar.value >= 48 && scalar.value <= 57) {
                    throw self.fail("unsupported escape \\\(scalar)")
                }
                return ScalarSet(ranges: [scalar.value...scalar.value])
            }
        }

        mutating func bracket() throws(SyntaxError) -> ScalarSet {
            var set = ScalarSet(ranges: [])
            if self.peek == "^" {
                set.negated = true
                self.index += 1
            }
            var first = true
            while true {
                guard let scalar = self.peek else { throw self.fail("missing ']'") }
                if scalar == "]" && !first {
                    self.index += 1
                    return set
                }
                first = false
                self.index += 1
                var low: UInt32
                if scalar == "\\" {
                    let escaped = try self.escape()
                    guard !escaped.negated, escaped.ranges.count == 1, escaped.ranges[0].count == 1 else {
                        guard !escaped.negated else { throw self.fail("negated class escapes inside [...] are not supported") }
                        set.ranges += escaped.ranges
                        continue
                    }
                    low = escaped.ranges[0].lowerBound
                } else {
                    low = scalar.value
                }
                if self.peek == "-", self.index + 1 < self.text.count, self.text[self.index + 1] != "]" {
                    self.index += 1
                    var high = self.text[self.index].value
                    self.index += 1
                    if high == 92 {  // backslash
                        let escaped = try self.escape()
                        guard escaped.ranges.count == 1, escaped.ranges[0].count == 1 else { throw self.fail("bad range in [...]") }
                        high = escaped.ranges[0].lowerBound
                    }
                    guard low <= high else { throw self.fail("bad range in [...]") }
                    set.ranges.append(low...high)
                } else {
                    set.ranges.append(low...low)
                }
            }
        }
    }

    struct Compiler {
        let caseInsensitive: Bool
        var program: [Instruction] = []

        mutating func append(_ instruction: Instruction) throws(SyntaxError) -> Int {
            guard self.program.count < LinearRegex.maximumProgramSize else {
                throw SyntaxError(description: "the pattern is too large (more than \(LinearRegex.maximumProgramSize) steps once repetitions expand)")
            }
            self.program.append(instruction)
            return self.program.count - 1
        }

        mutating func emit(_ node: Node) throws(SyntaxError) {
            switch node {
            case .empty: break
            case .set(var set):
                set.caseInsensitive = self.caseInsensitive
                _ = try self.append(.scalar(set))
            case .lineStart: _ = try self.append(.lineStart)
            case .lineEnd: _ = try self.append(.lineEnd)
            case .sequence(let items):
                for item in items { try self.emit(item) }
            case .alternatives(let branches):
                // split L1, next; L1: branch; jmp end; next: split … ; the last branch falls through.
                var jumps: [Int] = []
                for (position, branch) in branches.enumerated() {
                    if position == branches.count - 1 {
                        try self.emit(branch)
                    } else {
                        let split = try self.append(.split(0, 0))
                        try self.emit(branch)
                        jumps.append(try self.append(.jump(0)))
                        self.program[split] = .split(split + 1, self.program.count)
                    }
                }
                for jump in jumps { self.program[jump] = .jump(self.program.count) }
            case .repetition(let inner, let minimum, let maximum):
                for _ in 0..<minimum { try self.emit(inner) }
                if let maximum {
                    var splits: [Int] = []
                    for _ in minimum..<maximum {
                        splits.append(try self.append(.split(0, 0)))
                        try self.emit(inner)
                    }
                    for split in splits { self.program[split] = .split(split + 1, self.program.count) }
                } else {
                    let split = try self.append(.split(0, 0))
                    try self.emit(inner)
                    _ = try self.append(.jump(split))
                    self.program[split] = .split(split + 1, self.program.count)
                }
            }
        }
    }
}
