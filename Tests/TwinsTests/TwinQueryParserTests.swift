import Testing
import TwinGuardCore

@testable import Twins

@Suite("Twin query parser")
struct TwinQueryParserTests {
    @Test("a full query parses into projection, match, condition, order and limit")
    func fullQuery() throws {
        let query = try TwinQueryParser.parse(
            "SELECT m.id, m.reported.temperature AS t FROM twins MATCH (site)-[:contains*1..3]->(m) "
                + "WHERE site.tags.name = 'plant-1' AND (m.reported.temperature > 80 OR NOT IS_DEFINED(m.telemetry.rpm)) "
                + "ORDER BY m.reported.temperature DESC LIMIT 5")
        #expect(query.match == TwinQuery.Match(source: "site", relationship: "contains", minimumHops: 1, maximumHops: 3, target: "m"))
        #expect(query.limit == 5)
        #expect(query.descending)
        guard case .items(let items) = query.projection else {
            Issue.record("expected items")
            return
        }
        #expect(items.map(\.alias) == [nil, "t"])
        #expect(items[1].path == TwinQuery.Path(alias: "m", segments: ["reported", "temperature"]))
        guard case .and(.compare(let path, "=", .string("plant-1")), .or) = query.condition else {
            Issue.record("unexpected condition \(String(describing: query.condition))")
            return
        }
        #expect(path == TwinQuery.Path(alias: "site", segments: ["tags", "name"]))
    }

    @Test("model ids with colons and semicolons are string literals; IN lists; count")
    func literals() throws {
        let query = try TwinQueryParser.parse("select count(*) from twins where model = 'tg:factory:CNC;1' and tags.line in ('a', 'b')")
        #expect(query.projection == .count)
        guard case .and(.compare(_, "=", .string("tg:factory:CNC;1")), .isIn(_, let values)) = query.condition else {
            Issue.record("unexpected condition")
            return
        }
        #expect(values == [.string("a"), .string("b")])
    }

    @Test("errors give the position and the expected token", arguments: [
        ("SELECT * FROM machines", 15, "TWINS"),
        ("SELECT * FROM twins WHERE reported.t >", 39, "a string, number, true, false or null"),
        ("SELECT * FROM twins MATCH (a)-[:contains*4]->(b)", 42, "a hop count from 1 to 3"),
        ("SELECT * FROM twins WHERE reported.t ~ 3", 38, "a name, literal or operator"),
        ("SELECT * FROM twins LIMIT 2 extra", 29, "end of query"),
        ("SELECT weird FROM twins", 14, "'.'"),
    ])
    func errors(text: String, position: Int, expected: String) {
        do {
            _ = try TwinQueryParser.parse(text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.position == position, "\(error)")
            #expect(error.expected == expected, "\(error)")
        }
    }
}
