import Hummingbird
import NIOCore
import TwinGuardCore

/// A request context that carries who is calling, set by ``AuthenticationMiddleware``.
public protocol PrincipalContext: RequestContext {
    var principal: Principal? { get set }
    var channel: any Channel { get }
}

extension PrincipalContext {
    /// The caller; routes behind the authentication middleware always have one.
    func requirePrincipal() throws -> Principal {
        guard let principal = self.principal else {
            throw ProblemDetails(status: .unauthorized, code: "unauthenticated", detail: "Sign in first.")
        }
        return principal
    }
}

/// The request context of every route: Hummingbird's core storage and who is calling.
public struct APIRequestContext: PrincipalContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware`` before any protected route runs.
    public var principal: Principal?
    /// The connection, to read its TLS client certificate.
    public let channel: any Channel

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.channel = source.channel
    }
}
