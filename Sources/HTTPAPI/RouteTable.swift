import Foundation

/// The routes of the API as the OpenAPI document lists them: which methods each path allows, so that a
/// known path with an unknown method answers 405 with `Allow` instead of 404.
struct RouteTable: Sendable {
    private let routes: [(segments: [String?], methods: [String])]

    /// Reads the paths and methods of ``OpenAPIDocument``.
    static let api = RouteTable(document: OpenAPIDocument.json)

    init(document: String) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any],
            let paths = root["paths"] as? [String: [String: Any]]
        else {
            self.routes = []
            return
        }
        let verbs = ["get", "head", "post", "put", "patch", "delete"]
        self.routes = paths.map { path, operations in
            let segments = path.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) }
            var methods = verbs.filter { operations[$0] != nil }.map { $0.uppercased() }
            if methods.contains("GET") && !methods.contains("HEAD") { methods.append("HEAD") }
            return (segments, methods)
        }
    }

    /// The methods allowed on `path`, or `nil` when no route has that path.
    func allowedMethods(_ path: String) -> [String]? {
        let parts = path.split(separator: "/").map(String.init)
        for route in self.routes where route.segments.count == parts.count {
            if zip(route.segments, parts).allSatisfy({ $0.0 == nil || $0.0 == $0.1 }) { return route.methods }
        }
        return nil
    }
}
