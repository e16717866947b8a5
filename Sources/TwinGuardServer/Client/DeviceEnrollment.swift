import Crypto
import Foundation
import Identity
import NIOHTTP1
import NIOSSL
import SwiftASN1
import X509

/// The device side of enrollment, for `twinguard device enroll`, scripts and the demo fleet.
///
/// 1. Fetch the server's CA certificate and check its SHA-256 against the fingerprint the token carries
///    (nothing is trusted before that check; as `kubeadm join` does).
/// 2. Make an ECDSA P-256 key and a CSR, and send them with the token over TLS verified against that CA.
/// 3. Write `device.key` (0600), `device.crt` and `ca.crt`.
public enum DeviceEnrollment {
    /// What enrollment produced.
    public struct Result: Sendable {
        public let twin: String
        public let tenant: String
        public let certificatePath: String
        public let keyPath: String
        public let caPath: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Enrolls with `server` (an `https://` URL) using `token`, writing the files into `directory`.
    public static func enroll(server: String, token text: String, directory: String) async throws -> Result {
        guard server.hasPrefix("https://") else {
            throw Failure(description: "enrollment needs the server's https:// URL (the token pins its CA)")
        }
        guard let token = EnrollmentToken(text) else {
            throw Failure(description: "the enrollment token is malformed (expected <id>.<secret>.<ca-sha256>)")
        }
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        let caResponse = try await HTTPRequester.send(.GET, url: base + "/pki/ca.crt", security: .tlsUnverified)
        guard caResponse.status == 200, let ca = try? Certificate(pemEncoded: caResponse.text) else {
            throw Failure(description: "the server did not send a CA certificate (HTTP \(caResponse.status))")
        }
        var serializer = DER.Serializer()
        try serializer.serialize(ca)
        let fingerprint = CertificateAuthority.fingerprint(ofDER: serializer.serializedBytes)
        guard fingerprint == token.caFingerprint else {
            throw Failure(
                description: "the server's CA (sha256 \(fingerprint)) is not the one the token names (\(token.caFingerprint)): refusing to enroll")
        }
        let root = try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
        let (key, csr) = try Self.newKeyAndRequest()
        let body = try JSONSerialization.data(withJSONObject: ["token": text.trimmingCharacters(in: .whitespacesAndNewlines), "csr": csr])
        let response = try await HTTPRequester.send(
            .POST, url: base + "/api/v1/enroll", headers: [("Content-Type", "application/json")], body: Array(body),
            security: .tls(roots: [root]))
        guard response.status == 201,
            let document = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let certificate = document["certificate"] as? String
        else {
            throw Failure(description: "enrollment refused (HTTP \(response.status)): \(Self.detail(response))")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = Result(
            twin: document["twin"] as? String ?? "", tenant: document["tenant"] as? String ?? "",
            certificatePath: directory + "/device.crt", keyPath: directory + "/device.key", caPath: directory + "/ca.crt")
        try SecretFile.write(key.pemRepresentation, to: result.keyPath)
        try certificate.write(toFile: result.certificatePath, atomically: true, encoding: .utf8)
        try (ca.serializeAsPEM().pemString).write(toFile: result.caPath, atomically: true, encoding: .utf8)
        return result
    }

    /// A new ECDSA P-256 key and its certificate signing request (PEM). The subject does not matter: the
    /// server names the twin from the token or the current certificate.
    static func newKeyAndRequest() throws -> (P256.Signing.PrivateKey, String) {
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("twinguard-device") }, privateKey: .init(key),
            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
        return (key, try csr.serializeAsPEM().pemString)
    }

    /// The `detail` of a problem-details answer, or the body.
    static func detail(_ response: HTTPRequester.Response) -> String {
        if let document = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let detail = document["detail"] as? String ?? document["error"] as? String
        {
            return detail
        }
        return response.text
    }
}

extension DeviceEnrollment {
    /// Renews the certificate in `directory` before it expires: a new key and CSR, sent over TLS with the
    /// current certificate as the client certificate; the files are replaced only once the server answered.
    public static func renew(server: String, directory: String) async throws -> Result {
        guard server.hasPrefix("https://") else { throw Failure(description: "renewal needs the server's https:// URL") }
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        let paths = (certificate: directory + "/device.crt", key: directory + "/device.key", ca: directory + "/ca.crt")
        let root: NIOSSLCertificate
        let current: NIOSSLCertificate
        let currentKey: NIOSSLPrivateKey
        do {
            root = try NIOSSLCertificate(file: paths.ca, format: .pem)
            current = try NIOSSLCertificate(file: paths.certificate, format: .pem)
            currentKey = try NIOSSLPrivateKey(file: paths.key, format: .pem)
        } catch {
            throw Failure(description: "cannot read the current certificate, key and CA in \(directory): \(error)")
        }
        let (key, csr) = try Self.newKeyAndRequest()
        let body = try JSONSerialization.data(withJSONObject: ["csr": csr])
        let response = try await HTTPRequester.send(
            .POST, url: base + "/api/v1/enroll/renew", headers: [("Content-Type", "application/json")], body: Array(body),
            security: .tls(roots: [root], clientCertificate: current, clientKey: currentKey))
        guard response.status == 201,
            let document = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let certificate = document["certificate"] as? String
        else {
            throw Failure(description: "renewal refused (HTTP \(response.status)): \(Self.detail(response))")
        }
        try SecretFile.write(key.pemRepresentation, to: paths.key)
        try certificate.write(toFile: paths.certificate, atomically: true, encoding: .utf8)
        return Result(
            twin: document["twin"] as? String ?? "", tenant: document["tenant"] as? String ?? "", certificatePath: paths.certificate,
            keyPath: paths.key, caPath: paths.ca)
    }
}
