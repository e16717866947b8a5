import Crypto
import SwiftASN1
import Foundation
import Identity
import Logging
import MQTT
import NIOCore
import NIOSSL
import TwinGuardCore
import X509

/// The server's TLS identity and the TLS configurations of its secured listeners.
///
/// The server certificate is issued by the device CA at every start for the names the server is reached
/// by (localhost, 127.0.0.1, ::1, the bind address), with a key kept in `DATA/pki/server.key` (0600).
/// TLS 1.2 and 1.3 only, ECDHE with AES-GCM or ChaCha20-Poly1305 only.
public struct TLSSettings: Sendable {
    let certificate: NIOSSLCertificate
    let key: NIOSSLPrivateKey
    let caCertificate: NIOSSLCertificate
    let check: DeviceCertificateCheck
    let identity: IdentityService
    let logger: Logger

    /// TLS 1.2 suites (TLS 1.3's are all AEAD): forward secrecy and AEAD only.
    static let cipherSuites = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256"

    /// Loads or creates the server key and issues the server certificate for `hosts`.
    public static func make(identity: IdentityService, pkiDirectory: String, bind: String, logger: Logger) throws -> TLSSettings {
        let keyPath = pkiDirectory + "/server.key"
        let key: P256.Signing.PrivateKey
        if FileManager.default.fileExists(atPath: keyPath) {
            try SecretFile.checkPrivate(keyPath)
            key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: keyPath, encoding: .utf8))
        } else {
            key = P256.Signing.PrivateKey()
            try SecretFile.write(key.pemRepresentation, to: keyPath)
        }
        var hosts = ["localhost", "127.0.0.1", "::1"]
        if bind != "0.0.0.0" && bind != "::" { hosts.append(bind) }
        if let name = ProcessInfo.processInfo.hostName as String?, !name.isEmpty { hosts.append(name) }
        let certificate = try identity.authority.issueServerCertificate(hosts: hosts, key: key)
        let pem = try certificate.serializeAsPEM().pemString
        try pem.write(toFile: pkiDirectory + "/server.crt", atomically: true, encoding: .utf8)
        return TLSSettings(
            certificate: try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem),
            key: try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem),
            caCertificate: try NIOSSLCertificate(bytes: identity.authority.certificateDER, format: .der),
            check: identity.certificateCheck, identity: identity, logger: logger)
    }

    /// A server configuration; `requireClientCertificate` false means requested, not required.
    func configuration(requireClientCertificate: Bool) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(self.certificate)], privateKey: .privateKey(self.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuites = Self.cipherSuites
        configuration.trustRoots = .certificates([self.caCertificate])
        configuration.certificateVerification = requireClientCertificate ? .noHostnameVerification : .optionalVerification
        return configuration
    }

    /// Verifies a client's certificate chain with the device CA and the revocation list (replacing the TLS
    /// library's own check, which knows nothing of revocation).
    func verify(_ chain: [NIOSSLCertificate], listener: String, remote: String?) -> NIOSSLVerificationResult {
        guard let leaf = chain.first, let der = try? leaf.toDERBytes() else { return .failed }
        switch self.check.check(der: der) {
        case .success:
            return .certificateVerified
        case .failure(let rejection):
            self.logger.notice(
                "client certificate refused",
                metadata: ["listener": "\(listener)", "auth.decision": "deny", "auth.reason": "\(rejection)"])
            self.identity.noteCertificateRefusal(rejection.description, listener: listener, remote: remote)
            return .failed
        }
    }

    /// The identity of the verified certificate a TLS connection presented.
    func clientCertificate(_ certificate: NIOSSLCertificate?) -> ClientCertificate? {
        guard let certificate, let der = try? certificate.toDERBytes(), case .success(let accepted) = self.check.check(der: der) else {
            return nil
        }
        return ClientCertificate(tenant: accepted.identity.tenant, twin: accepted.identity.twin, serial: accepted.serial)
    }
}

/// The `mqtts` listener's TLS: a client certificate is required and must pass ``TLSSettings/verify(_:listener:)``.
struct MutualTLSListenerSecurity: ListenerSecurity {
    let settings: TLSSettings
    let context: NIOSSLContext
    let listener: String

    /// - Parameter requireClientCertificate: refuse clients without a certificate in the handshake; otherwise a
    ///   certificate is checked when sent (devices) and a client without one signs in with a password or token
    ///   (users), which TLS now protects.
    init(settings: TLSSettings, listener: String, requireClientCertificate: Bool) throws {
        self.settings = settings
        self.listener = listener
        self.context = try NIOSSLContext(configuration: settings.configuration(requireClientCertificate: requireClientCertificate))
    }

    func addHandlers(to channel: any Channel) throws {
        let settings = self.settings
        let listener = self.listener
        let remote = channel.remoteAddress.map { "\($0)" }
        try channel.pipeline.syncOperations.addHandler(
            NIOSSLServerHandler(context: self.context) { chain, promise in
                promise.succeed(settings.verify(chain, listener: listener, remote: remote))
            })
    }

    func clientCertificate(in pipeline: ChannelPipeline.SynchronousOperations) -> ClientCertificate? {
        self.settings.clientCertificate((try? pipeline.handler(type: NIOSSLServerHandler.self))?.peerCertificate)
    }
}
