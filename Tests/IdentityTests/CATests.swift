import Crypto
import Foundation
import SwiftASN1
import Testing
import TwinGuardCore
import X509

@testable import Identity

@Suite("Device CA and certificate checks")
struct CertificateAuthorityTests {
    let authority = try! CertificateAuthority.create(now: Date())

    func request() throws -> (P256.Signing.PrivateKey, CertificateSigningRequest) {
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("whoever") }, privateKey: .init(key),
            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
        return (key, csr)
    }

    @Test("a device certificate names its twin in the SAN, whatever the CSR's subject says, and passes the check")
    func issueAndCheck() throws {
        let (_, csr) = try self.request()
        let identity = DeviceIdentity(tenant: TenantID("plant-1")!, twin: "press-7")
        let certificate = try self.authority.issueDeviceCertificate(request: csr, identity: identity, validity: 3600)
        #expect(DeviceIdentity(certificate: certificate) == identity)
        let check = DeviceCertificateCheck(authority: self.authority) { _ in false }
        guard case .success(let accepted) = check.check(certificate) else {
            Issue.record("rejected")
            return
        }
        #expect(accepted.identity == identity)
        #expect(accepted.serial == certificate.serialNumber.hex)
    }

    @Test("expired, not yet valid, revoked and foreign certificates are rejected with their reason")
    func rejections() throws {
        let (_, csr) = try self.request()
        let identity = DeviceIdentity(tenant: .default, twin: "pump")
        let certificate = try self.authority.issueDeviceCertificate(request: csr, identity: identity, validity: 3600)
        let check = DeviceCertificateCheck(authority: self.authority) { _ in false }
        #expect(check.check(certificate, now: Date().addingTimeInterval(7200)) == .failure(.expired(notAfter: certificate.notValidAfter)))
        #expect(check.check(certificate, now: Date().addingTimeInterval(-7200)) == .failure(.notYetValid))
        let revoked = DeviceCertificateCheck(authority: self.authority) { $0 == certificate.serialNumber.hex }
        #expect(revoked.check(certificate) == .failure(.revoked(serial: certificate.serialNumber.hex)))
        let other = try CertificateAuthority.create(now: Date())
        #expect(DeviceCertificateCheck(authority: other) { _ in false }.check(certificate) == .failure(.unknownIssuer))
        #expect(check.check(der: [0x30, 0x03, 0x02, 0x01, 0x01]) == .failure(.unreadable))
    }

    @Test("a CSR whose signature does not verify is refused")
    func forgedRequest() throws {
        let (_, csr) = try self.request()
        let (_, other) = try self.request()
        let forged = try CertificateSigningRequest(
            version: csr.version, subject: csr.subject, publicKey: other.publicKey, attributes: csr.attributes,
            signatureAlgorithm: csr.signatureAlgorithm, signature: csr.signature)
        #expect(throws: CertificateAuthorityError.self) {
            try self.authority.issueDeviceCertificate(request: forged, identity: DeviceIdentity(tenant: .default, twin: "x"), validity: 60)
        }
    }

    @Test("the CRL is DER that parses back, signed by the CA, listing the revoked serials")
    func revocationList() throws {
        let record = DeviceCertificateRecord(
            serial: "1a2b3c4d5e6f", tenant: .default, twin: "x", notBefore: 0, notAfter: 1, revokedAt: 1_700_000_000_000_000_000)
        let der = try RevocationList.encode(revoked: [record], authority: self.authority, number: 2)
        let root = try DER.parse(der)
        guard case .constructed(let nodes) = root.content else {
            Issue.record("not a sequence")
            return
        }
        let parts = Array(nodes)
        #expect(parts.count == 3)
        #expect(RevocationList.pem(der).hasPrefix("-----BEGIN X509 CRL-----"))
        // The signature covers the TBS part exactly as encoded.
        let tbs = Array(parts[0].encodedBytes)
        let signature = try ASN1BitString(derEncoded: parts[2])
        #expect(self.authority.verify(signature: Array(signature.bytes), of: tbs))
        #expect(Hex.encode(der).contains("1a2b3c4d5e6f"))
    }
}

@Suite("Enrollment tokens, topic patterns and policies")
struct PolicyTests {
    @Test("tokens round-trip and malformed ones are refused")
    func tokens() {
        let token = EnrollmentToken.generate(caFingerprint: String(repeating: "ab", count: 32))
        #expect(EnrollmentToken(token.description) == token)
        #expect(EnrollmentToken("  \(token.description)\n") == token)
        for bad in ["", "a.b.c", token.description + "x", token.id + "." + token.secret, token.description.replacingOccurrences(of: ".", with: "_")] {
            #expect(EnrollmentToken(bad) == nil, "\(bad)")
        }
    }

    @Test("topic patterns: publish matching and subscription coverage")
    func patterns() {
        let commands = TopicPattern("tg/t/p/commands/#")
        #expect(commands.matches(topic: "tg/t/p/commands/reboot"))
        #expect(commands.covers(filter: "tg/t/p/commands/+"))
        #expect(commands.covers(filter: "tg/t/p/commands/#"))
        #expect(!commands.covers(filter: "tg/t/+/commands/#"))
        #expect(!commands.covers(filter: "#"))
        let response = TopicPattern("tg/t/p/commands/+/response")
        #expect(response.matches(topic: "tg/t/p/commands/open/response"))
        #expect(!response.matches(topic: "tg/t/p/commands/open/close/response"))
        #expect(!TopicPattern("tg/t/p/desired").covers(filter: "tg/t/p/+"))
    }

    @Test("the default device policy grants a device its own twin's topics only")
    func devicePolicy() {
        let principal = Principal(tenant: TenantID("acme")!, role: .device, subject: "pump-1")
        let policy = PolicyDocument.deviceDefault
        let publish = policy.patterns(policy.publish, for: principal)
        #expect(publish.contains { $0.matches(topic: "tg/acme/pump-1/telemetry") })
        #expect(!publish.contains { $0.matches(topic: "tg/acme/pump-2/telemetry") })
        #expect(!publish.contains { $0.matches(topic: "tg/other/pump-1/telemetry") })
        let subscribe = policy.patterns(policy.subscribe, for: principal)
        #expect(subscribe.contains { $0.covers(filter: "tg/acme/pump-1/desired") })
        #expect(!subscribe.contains { $0.covers(filter: "tg/acme/+/desired") })
    }

    @Test("roles grant exactly their permissions")
    func roles() {
        #expect(Role.viewer.allows(.read) && !Role.viewer.allows(.writeTelemetry))
        #expect(Role.securityOfficer.allows(.manageDevices) && !Role.securityOfficer.allows(.manageTwins))
        #expect(!Role.operator.allows(.readAudit) && !Role.engineer.allows(.manageDevices))
        #expect(Permission.allCases.allSatisfy { Role.admin.allows($0) && !Role.device.allows($0) })
        #expect(Role.admin.requiresMFA && Role.securityOfficer.requiresMFA && !Role.operator.requiresMFA)
    }
}

@Suite("Posture, trust score and the audit chain")
struct TrustTests {
    @Test("posture findings name each shortfall; versions compare numerically")
    func posture() {
        let policy = PosturePolicy(minimumFirmware: "2.10", requireSecureBoot: true, forbiddenServices: ["telnet"], minimumPatchLevel: "2026-01")
        var report = PostureReport(firmwareVersion: "2.9.5", firmwareHash: nil, secureBoot: false, openServices: ["Telnet", "ssh"], patchLevel: "2025-11")
        #expect(policy.findings(for: report) == [
            "firmware 2.9.5 is older than the required 2.10", "secure boot is off", "forbidden service 'telnet' is open",
            "patch level 2025-11 is older than the required 2026-01",
        ])
        report = PostureReport(firmwareVersion: "2.10.1", firmwareHash: nil, secureBoot: true, openServices: ["ssh"], patchLevel: "2026-03")
        #expect(policy.findings(for: report).isEmpty)
        let pinned = PosturePolicy(allowedFirmwareHashes: ["sha256:" + String(repeating: "a", count: 64)])
        report.firmwareHash = String(repeating: "A", count: 64)
        #expect(pinned.findings(for: report).isEmpty)
    }

    @Test("scores map to tiers: posture failure quarantines, violations restrict, both block")
    func score() {
        func score(_ findings: [String]?, topics: Int = 0, quota: Int = 0) -> TrustScore {
            TrustScore.compute(TrustScore.Inputs(certificateDaysLeft: 20, postureFindings: findings, topicViolations: topics, quotaViolations: quota, rateAnomaly: false))
        }
        #expect(score([]).score == 100 && score([]).tier == .trusted)
        #expect(score(nil).tier == .trusted)
        #expect(score(["old firmware"]).tier == .quarantined)
        #expect(score([], topics: 4).tier == .restricted)
        #expect(score(["old firmware", "telnet open"], topics: 2).tier == .blocked)
        #expect(score([], quota: 100).score == 70)
    }

    @Test("verification names the first altered, deleted or reordered entry")
    func chain() async throws {
        var entries: [AuditEntry] = []
        var previous = AuditChain.genesis
        for sequence in 1...5 {
            var entry = AuditEntry(
                sequence: Int64(sequence), time: Int64(sequence), tenant: .default, actor: "a", action: "x", target: "t", outcome: "success",
                detail: "entry \(sequence)", previousHash: previous, hash: "")
            entry.hash = AuditChain.hash(of: entry)
            previous = entry.hash
            entries.append(entry)
        }
        func verify(_ chain: [AuditEntry]) async throws -> AuditChain.Finding {
            try await AuditChain.verify { after in chain.filter { $0.sequence > after }.prefix(2).map { $0 } }
        }
        #expect(try await verify(entries) == .intact(count: 5, head: previous))
        var altered = entries
        altered[2].detail = "nothing happened"
        #expect(try await verify(altered) == .altered(sequence: 3))
        var deleted = entries
        deleted.remove(at: 1)
        #expect(try await verify(deleted) == .deleted(after: 1, next: 3))
        var swapped = entries
        swapped[1].sequence = 3
        swapped[2].sequence = 2
        swapped.sort { $0.sequence < $1.sequence }
        #expect(try await verify(swapped) == .reordered(sequence: 2))
    }

    @Test("base32 matches RFC 4648's test vectors")
    func base32() {
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.encode(Array("f".utf8)) == "MY")
    }
}

@Suite("TPM quotes")
struct TPMQuoteTests {
    /// A `TPMS_ATTEST` of type quote, marshalled as a TPM does.
    static func attest(nonce: [UInt8], digest: [UInt8], magic: UInt32 = 0xff54_4347) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
        func u32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(value >> UInt32($0) & 0xff) } }
        let signer: [UInt8] = [0x00, 0x0b] + Array(repeating: 0xab, count: 32)
        return u32(magic) + u16(0x8018) + u16(signer.count) + signer + u16(nonce.count) + nonce
            + Array(repeating: 0, count: 17 + 8) + u32(1) + u16(0x000b) + [3, 0xff, 0, 0] + u16(digest.count) + digest
    }

    static func quote(_ attest: [UInt8], key: P256.Signing.PrivateKey) throws -> TPMQuote {
        TPMQuote(
            attest: Data(attest).base64EncodedString(), signature: try key.signature(for: attest).derRepresentation.base64EncodedString(),
            ak: key.publicKey.pemRepresentation)
    }

    @Test("a signed quote yields its nonce, PCR digest and key fingerprint")
    func verified() throws {
        let key = P256.Signing.PrivateKey()
        let digest = Array(repeating: UInt8(7), count: 32)
        let evidence = try Self.quote(Self.attest(nonce: [1, 2, 3], digest: digest), key: key).verify()
        #expect(evidence.nonce == [1, 2, 3])
        #expect(evidence.pcrDigest == digest)
        #expect(evidence.keyFingerprint == Hex.sha256(key.publicKey.derRepresentation))
    }

    @Test("a wrong signature, a wrong magic and every truncation are refused without a crash")
    func refused() throws {
        let key = P256.Signing.PrivateKey()
        let attest = Self.attest(nonce: [1, 2, 3], digest: Array(repeating: 7, count: 32))
        var forged = try Self.quote(attest, key: key)
        forged.ak = P256.Signing.PrivateKey().publicKey.pemRepresentation
        #expect(throws: QuoteError.badSignature) { try forged.verify() }
        #expect(throws: QuoteError.self) { try Self.quote(Self.attest(nonce: [], digest: [], magic: 1), key: key).verify() }
        for length in 0..<attest.count {
            #expect(throws: QuoteError.self) { try Self.quote(Array(attest.prefix(length)), key: key).verify() }
        }
    }
}
