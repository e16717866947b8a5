import SwiftASN1
import TwinGuardCore
import X509

/// Who a device certificate speaks for: one twin of one tenant.
///
/// The certificate names it twice: subject `O=<tenant>, CN=<twin>` for people reading it, and the
/// subject alternative name URI `urn:twinguard:<tenant>/<twin>`, which is what TwinGuard trusts.
public struct DeviceIdentity: Hashable, Sendable, CustomStringConvertible {
    public let tenant: TenantID
    public let twin: String

    public init(tenant: TenantID, twin: String) {
        self.tenant = tenant
        self.twin = twin
    }

    static let uriPrefix = "urn:twinguard:"

    /// The SAN URI that carries the identity.
    public var uri: String { Self.uriPrefix + self.tenant.rawValue + "/" + self.twin }

    /// The principal a connection with this identity acts as.
    public var principal: Principal { Principal(tenant: self.tenant, role: .device, subject: self.twin) }

    public var description: String { "\(self.twin)@\(self.tenant)" }

    /// Reads the identity from a certificate's SAN URI; `nil` when it has none or a malformed one.
    public init?(certificate: Certificate) {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return nil }
        for name in names {
            guard case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix(Self.uriPrefix) else { continue }
            let rest = uri.dropFirst(Self.uriPrefix.count)
            guard let slash = rest.firstIndex(of: "/"), let tenant = TenantID(String(rest[..<slash])) else { return nil }
            let twin = String(rest[rest.index(after: slash)...])
            guard Twin.isValidID(twin) else { return nil }
            self.init(tenant: tenant, twin: twin)
            return
        }
        return nil
    }
}
