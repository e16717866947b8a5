import Foundation
import SwiftASN1
import TwinGuardCore
import X509

/// Decides whether a client certificate presented in a TLS handshake may connect: issued by our CA,
/// inside its validity, meant for client authentication, naming a twin, and not revoked.
///
/// It replaces the TLS library's own chain check (the CA issues leaf certificates directly), so that
/// revocation is decided with the same data the CRL is made from.
public struct DeviceCertificateCheck: Sendable {
    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case unreadable
        case unknownIssuer
        case expired(notAfter: Date)
        case notYetValid
        case notForClients
        case noIdentity
        case revoked(serial: String)

        public var description: String {
            switch self {
            case .unreadable: "the certificate cannot be parsed"
            case .unknownIssuer: "the certificate was not issued by this server's device CA"
            case .expired(let notAfter): "the certificate expired at \(RFC3339.format(TimeBounds.clampedTime(secondsSinceEpoch: notAfter.timeIntervalSince1970)))"
            case .notYetValid: "the certificate is not valid yet"
            case .notForClients: "the certificate is not for client authentication"
            case .noIdentity: "the certificate names no TwinGuard twin"
            case .revoked(let serial): "the certificate \(serial) is revoked"
            }
        }
    }

    /// A certificate that passed.
    public struct Accepted: Sendable, Equatable {
        public let identity: DeviceIdentity
        public let serial: String
        public let notAfter: Date
    }

    let authority: CertificateAuthority
    let isRevoked: @Sendable (String) -> Bool

    public init(authority: CertificateAuthority, isRevoked: @escaping @Sendable (String) -> Bool) {
        self.authority = authority
        self.isRevoked = isRevoked
    }

    /// Checks a DER-encoded leaf certificate at `now`.
    public func check(der: [UInt8], now: Date = Date()) -> Result<Accepted, Rejection> {
        guard let certificate = try? Certificate(derEncoded: der) else { return .failure(.unreadable) }
        return self.check(certificate, now: now)
    }

    /// Checks a parsed leaf certificate at `now`.
    public func check(_ certificate: Certificate, now: Date = Date()) -> Result<Accepted, Rejection> {
        guard self.authority.signed(certificate) else { return .failure(.unknownIssuer) }
        guard now >= certificate.notValidBefore else { return .failure(.notYetValid) }
        guard now <= certificate.notValidAfter else { return .failure(.expired(notAfter: certificate.notValidAfter)) }
        if let usage = try? certificate.extensions.extendedKeyUsage, !usage.contains(.clientAuth) {
            return .failure(.notForClients)
        }
        guard let identity = DeviceIdentity(certificate: certificate) else { return .failure(.noIdentity) }
        let serial = certificate.serialNumber.hex
        if self.isRevoked(serial) { return .failure(.revoked(serial: serial)) }
        return .success(Accepted(identity: identity, serial: serial, notAfter: certificate.notValidAfter))
    }
}
