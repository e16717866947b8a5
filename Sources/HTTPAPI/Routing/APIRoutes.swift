import HTTPTypes
import Hummingbird

/// A group of routes that belong together (twins, models, users…): it declares each of its routes once, with
/// method, path and ``RouteAccess``, and handles them with the server's dependencies.
protocol RouteSet: Sendable {
    init(dependencies: HTTPAPIDependencies)
    /// Declares every route of the set.
    static func declare(_ routes: inout APIRoutes.Declarations<Self>)
}

/// Every route of the HTTP API, each declared once (``RouteSet/declare(_:)``) with what it needs
/// (``RouteAccess``). The router is built from it, ``AuthenticationMiddleware`` checks the declared access,
/// the 405 answers list its methods, and a test compares it with the OpenAPI document.
struct APIRoutes: Sendable {
    /// A route as declared.
    struct Route: Sendable, Hashable {
        let method: HTTPRequest.Method
        /// The path in OpenAPI's form: `/api/v1/twins/{id}`.
        let path: String
        let access: RouteAccess
        /// Whether the OpenAPI document lists it (the console's page and files are not API).
        let documented: Bool

        static func == (lhs: Route, rhs: Route) -> Bool { lhs.method == rhs.method && lhs.path == rhs.path }
        func hash(into hasher: inout Hasher) {
            hasher.combine(self.method.rawValue)
            hasher.combine(self.path)
        }
    }

    typealias Handler = @Sendable (Request, APIRequestContext) async throws -> Response

    fileprivate struct Entry: Sendable {
        let route: Route
        /// Whether `HEAD` is answered like `GET` without the body (not for streams, which would hold a place).
        let answersHead: Bool
        let bind: @Sendable (HTTPAPIDependencies) -> Handler
    }

    /// The routes of one ``RouteSet`` while it declares them.
    struct Declarations<Set: RouteSet> {
        fileprivate var entries: [Entry] = []

        /// Declares a route; `handler` gets the set, built once with the server's dependencies.
        mutating func on(
            _ method: HTTPRequest.Method, _ path: String, _ access: RouteAccess, documented: Bool = true, answersHead: Bool = true,
            _ handler: @escaping @Sendable (Set, Request, APIRequestContext) async throws -> some ResponseGenerator
        ) {
            let route = Route(method: method, path: RouterPath(path).description, access: access, documented: documented)
            self.entries.append(
                Entry(route: route, answersHead: answersHead && method == .get) { dependencies in
                    let set = Set(dependencies: dependencies)
                    return { request, context in try await handler(set, request, context).response(from: request, context: context) }
                })
        }

        mutating func get(
            _ path: String, _ access: RouteAccess, documented: Bool = true,
            _ handler: @escaping @Sendable (Set, Request, APIRequestContext) async throws -> some ResponseGenerator
        ) { self.on(.get, path, access, documented: documented, handler) }

        /// A `GET` that streams until the client goes: no `HEAD`.
        mutating func stream(
            _ path: String, _ access: RouteAccess,
            _ handler: @escaping @Sendable (Set, Request, APIRequestContext) async throws -> some ResponseGenerator
        ) { self.on(.get, path, access, answersHead: false, handler) }

        mutating func post(
            _ path: String, _ access: RouteAccess,
            _ handler: @escaping @Sendable (Set, Request, APIRequestContext) async throws -> some ResponseGenerator
        ) { self.on(.post, path, access, handler) }

        mutating func put(
            _ path: String, _ access: RouteAccess,
            _ handler: @escaping @Sendable (Set, Request, APIRequestContext) async throws -> some ResponseGenerator
        ) { self.on(.put, path, access, handler) }

        mutating func patch(
            _ path: String, _ access: RouteAccess,
            _ handler: @escaping @Sendable (Set, Request, APIRequestContext) async throws -> some ResponseGenerator
        ) { self.on(.patch, path, access, handler) }

        mutating func delete(
            _ path: String, _ access: RouteAccess,
            _ handler: @escaping @Sendable (Set, Request, APIRequestContext) async throws -> some ResponseGenerator
        ) { self.on(.delete, path, access, handler) }
    }

    private var entries: [Entry] = []

    /// Adds the routes of `set`.
    mutating func declare<Set: RouteSet>(_ set: Set.Type) {
        var declarations = Declarations<Set>()
        Set.declare(&declarations)
        self.entries += declarations.entries
    }

    /// The routes of the API (WebSocket streams are declared by ``WebSocketStreams``).
    static let api: APIRoutes = {
        var routes = APIRoutes()
        routes.declare(ServerRoutes.self)
        routes.declare(InfluxRoutes.self)
        routes.declare(ModelRoutes.self)
        routes.declare(TwinRoutes.self)
        routes.declare(AnalyticsRoutes.self)
        routes.declare(TelemetryRoutes.self)
        routes.declare(CommandRoutes.self)
        routes.declare(QueryRoutes.self)
        routes.declare(StreamRoutes.self)
        routes.declare(TenantRoutes.self)
        routes.declare(IdentityRoutes.self)
        routes.declare(UserRoutes.self)
        routes.declare(UserLifecycleRoutes.self)
        routes.declare(ConsoleRoutes.self)
        return routes
    }()

    /// Every declared route, in declaration order (`HEAD` not listed).
    var routes: [Route] { self.entries.map(\.route) }

    /// What the middleware and the 405 answers look routes up in.
    var catalog: RouteCatalog {
        RouteCatalog(self.entries.flatMap { entry in
            entry.answersHead ? [entry.route, Route(method: .head, path: entry.route.path, access: entry.route.access, documented: false)] : [entry.route]
        })
    }

    /// Adds every route to `router`, each handled with `dependencies`.
    func install(on router: Router<APIRequestContext>, dependencies: HTTPAPIDependencies) {
        for entry in self.entries {
            let handler = entry.bind(dependencies)
            let path = RouterPath(entry.route.path)
            router.on(path, method: entry.route.method, use: handler)
            if entry.answersHead {
                router.on(path, method: .head) { request, context in try await handler(request, context).createHeadResponse() }
            }
        }
    }
}

/// The declared routes by method and path, for ``AuthenticationMiddleware`` (by the path the router matched) and
/// for 405 answers (by the request's path, when the router matched the path but not the method).
struct RouteCatalog: Sendable {
    private let byEndpoint: [String: RouteAccess]
    private let patterns: [(segments: [Substring], methods: [HTTPRequest.Method])]

    init(_ routes: [APIRoutes.Route]) {
        var byEndpoint: [String: RouteAccess] = [:]
        var methods: [String: [HTTPRequest.Method]] = [:]
        var order: [String] = []
        for route in routes {
            byEndpoint["\(route.method.rawValue) \(route.path)"] = route.access
            if methods[route.path] == nil { order.append(route.path) }
            methods[route.path, default: []].append(route.method)
        }
        let canonical: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head]
        self.byEndpoint = byEndpoint
        self.patterns = order.map { path in
            let declared = methods[path] ?? []
            return (path.split(separator: "/"), canonical.filter(declared.contains))
        }
    }

    /// The access of the route the router matched (`endpoint` is Hummingbird's `context.endpointPath`).
    func access(_ method: HTTPRequest.Method, endpoint: String?) -> RouteAccess? {
        guard let endpoint else { return nil }
        return self.byEndpoint["\(method.rawValue) \(endpoint)"]
    }

    /// The methods declared on the path `path` matches (the pattern with the most literal segments), or `nil`
    /// when it matches none.
    func allowedMethods(_ path: String) -> [HTTPRequest.Method]? {
        let parts = path.split(separator: "/")
        var best: (literals: Int, methods: [HTTPRequest.Method])?
        for pattern in self.patterns {
            let fixed = pattern.segments.last == "**" ? pattern.segments.dropLast() : pattern.segments[...]
            let matches =
                pattern.segments.last == "**" ? parts.count >= pattern.segments.count : parts.count == pattern.segments.count
            guard matches, zip(fixed, parts).allSatisfy({ $0.0.hasPrefix("{") || $0.0 == $0.1 }) else { continue }
            let literals = fixed.filter { !$0.hasPrefix("{") }.count
            if literals > best?.literals ?? -1 { best = (literals, pattern.methods) }
        }
        return best?.methods
    }
}
