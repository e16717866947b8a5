import Crypto
import Foundation
import SwiftASN1
import TwinGuardCore
import X509

/// Why the CA could not be loaded or a certificate not issued.
public enum CertificateAuthorityError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unsupportedKey(path: String)
    case insecureKeyFile(path: String, mode: String)
    case badRequest(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .unsupportedKey(let path): "\(path): only ECDSA P-256 CA keys are supported"
        case .insecureKeyFile(let path, let mode): "\(path) has mode \(mode); a CA key must be readable by its owner only (chmod 600)"
        case .badRequest(let reason): reason
        }
    }
}

/// The device CA: an ECDSA P-256 key and a self-signed certificate under `DATA/pki`, created on first
/// start (key file mode 0600), or supplied by the operator as `ca.key` / `ca.crt` in that folder.
///
/// It issues the server's TLS certificate and the devices' client certificates, and signs the CRL.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    let key: P256.Signing.PrivateKey
    /// The DER bytes of ``certificate``.
    public let certificateDER: [UInt8]
    /// Hex SHA-256 of the CA certificate's DER: what enrollment tokens carry and devices pin.
    public let fingerprint: String

    init(certificate: Certificate, key: P256.Signing.PrivateKey) throws {
        self.certificate = certificate
        self.key = key
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        self.certificateDER = serializer.serializedBytes
        self.fingerprint = Self.fingerprint(ofDER: self.certificateDER)
    }

    /// The fingerprint of a certificate: hex SHA-256 of its DER bytes.
    public static func fingerprint(ofDER der: [UInt8]) -> String { Hex.sha256(der) }

    /// The CA certificate in PEM.
    public var certificatePEM: String { (try? self.certificate.serializeAsPEM().pemString) ?? "" }

    /// Loads the CA from `directory` (`ca.key`, `ca.crt`), creating both when neither exists.
    /// - Returns: the CA and whether it was created now.
    public static func loadOrCreate(directory: String, now: Date = Date()) throws -> (CertificateAuthority, created: Bool) {
        let keyPath = directory + "/ca.key"
        let certificatePath = directory + "/ca.crt"
        let files = FileManager.default
        if !files.fileExists(atPath: keyPath) && !files.fileExists(atPath: certificatePath) {
            let authority = try Self.create(now: now)
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try SecretFile.write(authority.key.pemRepresentation, to: keyPath)
            try authority.certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
            return (authority, true)
        }
        try SecretFile.checkPrivate(keyPath)
        let keyPEM: String
        let certificatePEM: String
        do {
            keyPEM = try String(contentsOfFile: keyPath, encoding: .utf8)
            certificatePEM = try String(contentsOfFile: certificatePath, encoding: .utf8)
        } catch {
            throw CertificateAuthorityError.unreadable(path: directory, reason: "\(error.localizedDescription)")
        }
        guard let key = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM) else {
            throw CertificateAuthorityError.unsupportedKey(path: keyPath)
        }
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw CertificateAuthorityError.unreadable(path: certificatePath, reason: "not a PEM certificate (\(error))")
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw CertificateAuthorityError.unreadable(path: certificatePath, reason: "the certificate does not belong to ca.key")
        }
        return (try CertificateAuthority(certificate: certificate, key: key), false)
    }

    /// A new CA valid for ten years.
    static func create(now: Date) throws -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("TwinGuard")
            CommonName("TwinGuard device CA")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(keyIdentifier: ArraySlice(SHA256.hash(data: key.publicKey.x963Representation).prefix(20)))
            },
            issuerPrivateKey: .init(key))
        return try CertificateAuthority(certificate: certificate, key: key)
    }

    /// Issues the server's TLS certificate for `hosts` (DNS names and IP addresses), valid for a year.
    public func issueServerCertificate(hosts: [String], key: P256.Signing.PrivateKey, now: Date = Date()) throws -> Certificate {
        var names: [GeneralName] = []
        for host in Set(hosts).sorted() {
            if let address = IPAddressBytes.parse(host) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))))
            } else {
                names.append(.dnsName(host))
            }
        }
        let subject = try DistinguishedName {
            OrganizationName("TwinGuard")
            CommonName("TwinGuard server")
        }
        return try self.issue(
            subject: subject, publicKey: .init(key.publicKey), names: names, usage: [.serverAuth], validity: 365 * 86_400, now: now)
    }

    /// Issues a device certificate for the key in `request`, naming `identity`; the request's own subject
    /// is ignored (the token decides who the device is).
    /// - Throws: ``CertificateAuthorityError/badRequest(_:)`` when the request's signature is wrong.
    public func issueDeviceCertificate(
        request: CertificateSigningRequest, identity: DeviceIdentity, validity: TimeInterval, now: Date = Date()
    ) throws -> Certificate {
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw CertificateAuthorityError.badRequest("the certificate signing request's signature does not verify")
        }
        let subject = try DistinguishedName {
            OrganizationName(identity.tenant.rawValue)
            CommonName(identity.twin)
        }
        return try self.issue(
            subject: subject, publicKey: request.publicKey, names: [.uniformResourceIdentifier(identity.uri)], usage: [.clientAuth],
            validity: validity, now: now)
    }

    private func issue(
        subject: DistinguishedName, publicKey: Certificate.PublicKey, names: [GeneralName], usage: [ExtendedKeyUsage.Usage],
        validity: TimeInterval, now: Date
    ) throws -> Certificate {
        var serial = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in serial.indices { serial[index] = generator.next() }
        serial[0] &= 0x7f
        serial[0] |= 0x10
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(validity),
            issuer: self.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                try ExtendedKeyUsage(usage)
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(self.key))
    }

    /// Whether the CA signed `certificate` (signature and issuer name; not time or revocation).
    public func signed(_ certificate: Certificate) -> Bool {
        certificate.issuer == self.certificate.subject
            && self.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// Whether `signature` (DER) over `bytes` was made with the CA key.
    func verify(signature: [UInt8], of bytes: [UInt8]) -> Bool {
        guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
        return self.key.publicKey.isValidSignature(parsed, for: bytes)
    }

    /// Signs `bytes` with the CA key (ECDSA P-256, SHA-256), DER-encoded signature.
    func sign(_ bytes: [UInt8]) throws -> [UInt8] {
        Array(try self.key.signature(for: bytes).derRepresentation)
    }
}

extension Certificate.SerialNumber {
    /// Lowercase hex without separators: how serials appear in the store, the CRL and logs.
    public var hex: String { Hex.encode(self.bytes) }
}
