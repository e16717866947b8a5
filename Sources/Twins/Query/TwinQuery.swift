import TwinGuardCore

/// A parsed twin query.
///
/// Grammar (keywords case-insensitive; documented in docs/twins.md, "Twin queries"):
/// ```
/// query      := SELECT projection FROM TWINS [ alias ] [ match ] [ WHERE expr ] [ ORDER BY path [ASC|DESC] ] [ LIMIT n ]
/// match      := MATCH '(' alias ')' '-' '[' ':' name [ '*' n [ '..' m ] ] ']' '->' '(' alias ')'
/// projection := '*' | COUNT '(' '*' ')' | item { ',' item }
/// item       := path [ AS name ]
/// path       := [ alias '.' ] ( id | model | tags '.' key | reported '.' prop | desired '.' prop | telemetry '.' field | lastSeen )
/// expr       := term { OR term }
/// term       := factor { AND factor }
/// factor     := NOT factor | '(' expr ')' | IS_DEFINED '(' path ')' | path op literal | path IN '(' literal {',' literal} ')'
/// op         := '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='
/// literal    := 'string' | "string" | number | TRUE | FALSE | NULL
/// ```
/// With MATCH the result rows are the twins bound to the target alias, reached from a twin bound to the
/// source alias in 1 to 3 hops (`*1..3`; `*2` means exactly 2; no star means 1) along the named
/// relationship. Paths may name either alias; unqualified paths refer to the result (target) twin.
public struct TwinQuery: Sendable, Equatable {
    public enum Projection: Sendable, Equatable {
        case all
        case count
        case items([(path: Path, alias: String?)])

        public static func == (lhs: Projection, rhs: Projection) -> Bool {
            switch (lhs, rhs) {
            case (.all, .all), (.count, .count): true
            case (.items(let a), .items(let b)): a.map(\.path) == b.map(\.path) && a.map(\.alias) == b.map(\.alias)
            default: false
            }
        }
    }

    /// A property path, optionally qualified by a MATCH alias.
    public struct Path: Sendable, Equatable, CustomStringConvertible {
        public var alias: String?
        public var segments: [String]

        public var description: String { ([self.alias].compactMap { $0 } + self.segments).joined(separator: ".") }
    }

    public indirect enum Expression: Sendable, Equatable {
        case compare(Path, String, JSONValue)
        case isIn(Path, [JSONValue])
        case isDefined(Path)
        case not(Expression)
        case and(Expression, Expression)
        case or(Expression, Expression)
    }

    public struct Match: Sendable, Equatable {
        public var source: String
        public var relationship: String
        public var minimumHops: Int
        public var maximumHops: Int
        public var target: String
    }

    public var projection: Projection
    public var match: Match?
    public var condition: Expression?
    public var orderBy: Path?
    public var descending = false
    public var limit: Int?
}

/// Why a twin query could not be parsed: the position (1-based character) and what was expected.
public struct TwinQueryError: Error, Sendable, CustomStringConvertible {
    public var position: Int
    public var found: String
    public var expected: String
    public var description: String { "at character \(self.position): found \(self.found), expected \(self.expected)" }
}
