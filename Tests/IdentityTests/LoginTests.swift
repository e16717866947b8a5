import Foundation
import Logging
import Storage
import Testing
import TwinGuardCore

@testable import Identity

/// Logins, lockouts and the user lifecycle on a real (in-memory) store.
@Suite("Logins and the user lifecycle")
struct LoginTests {
    static let password = "a long enough passphrase for tests"

    func service() async throws -> IdentityService {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tg-login-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try await IdentityService(
            pkiDirectory: directory.appendingPathComponent("pki").path, store: try SQLiteStore(), logger: Logger(label: "test"))
    }

    func remote(_ address: String) -> String { "[IPv4]\(address)/\(address):40000" }

    @Test("failures from one address lock the user out from it only, with a back-off, and are audited")
    func lockoutPerSource() async throws {
        let identity = try await self.service()
        _ = try await identity.addUser(name: "carol", tenant: .default, role: .viewer, password: Self.password, actor: "test")
        for _ in 0..<LoginLockouts.threshold {
            let result = await identity.login(name: "carol", password: "wrong password!", totp: nil, remote: self.remote("10.0.0.9"), channel: "http")
            #expect(result == .failure(.badCredentials))
        }
        let locked = await identity.login(name: "carol", password: Self.password, totp: nil, remote: self.remote("10.0.0.9"), channel: "http")
        #expect(locked == .failure(.locked(until: 0)))
        let elsewhere = await identity.login(name: "carol", password: Self.password, totp: nil, remote: self.remote("10.0.0.10"), channel: "mqtt")
        guard case .success = elsewhere else {
            Issue.record("the account was locked for every address: \(elsewhere)")
            return
        }
        #expect(identity.isLockedOut("carol"))
        let entries = try await identity.auditEntries(after: 0, limit: 1000, tenant: nil)
        #expect(entries.contains { $0.action == "user.login" && $0.detail.contains("locked out from 10.0.0.9") })
    }

    @Test("the back-off doubles at each further lockout and stops at 15 minutes")
    func backOff() {
        let lockouts = LoginLockouts()
        var now: Int64 = 1_000_000_000_000
        var durations: [Int64] = []
        for _ in 0..<7 {
            var until: Int64?
            for _ in 0..<LoginLockouts.threshold { until = lockouts.noteFailure(user: "u", source: "s", now: now) }
            durations.append((until ?? now) - now)
            now = (until ?? now) + 1
        }
        let minute: Int64 = 60_000_000_000
        #expect(durations == [1, 2, 4, 8, 15, 15, 15].map { $0 * minute })
    }

    @Test("a disabled user cannot log in and its tokens stop; enabling restores the login")
    func disable() async throws {
        let identity = try await self.service()
        let user = try await identity.addUser(name: "dave", tenant: .default, role: .operator, password: Self.password, actor: "test")
        let token = try await identity.createAPIToken(for: user.principal, name: "ci", role: nil, seconds: 3600)
        _ = try await identity.updateUser(name: "dave", by: .localAdministrator, role: nil, disabled: true, sites: nil)
        #expect(await identity.login(name: "dave", password: Self.password, totp: nil, remote: nil, channel: "http") == .failure(.disabled))
        #expect(identity.authenticateToken(token.token) == .failure(.unknown))
        _ = try await identity.updateUser(name: "dave", by: .localAdministrator, role: nil, disabled: false, sites: nil)
        guard case .success = await identity.login(name: "dave", password: Self.password, totp: nil, remote: nil, channel: "http") else {
            Issue.record("enabled user cannot log in")
            return
        }
    }

    @Test("a tenant's administrator cannot change users of another tenant, nor itself")
    func tenantAndSelf() async throws {
        let identity = try await self.service()
        let boss = try await identity.addUser(name: "boss", tenant: TenantID("acme")!, role: .admin, password: Self.password, actor: "test")
        _ = try await identity.addUser(name: "outsider", tenant: .default, role: .viewer, password: Self.password, actor: "test")
        await #expect(throws: UserChangeError.unknown("outsider")) {
            try await identity.updateUser(name: "outsider", by: boss.principal, role: .admin, disabled: nil, sites: nil)
        }
        await #expect(throws: UserChangeError.notOnYourself("disable")) {
            try await identity.updateUser(name: "boss", by: boss.principal, role: nil, disabled: true, sites: nil)
        }
        await #expect(throws: UserChangeError.unknown("outsider")) { try await identity.deleteUser(name: "outsider", by: boss.principal) }
    }

    @Test("a recovery code stands in for the authenticator once")
    func recoveryCodes() async throws {
        let identity = try await self.service()
        _ = try await identity.addUser(name: "erin", tenant: .default, role: .admin, password: Self.password, actor: "test")
        _ = try await identity.beginTOTPEnrollment(user: "erin")
        let pending = try #require(identity.user(named: "erin")?.pendingTOTPSecret)
        let code = try #require(TOTPCodes.current(secret: pending))
        #expect(try await identity.confirmTOTP(user: "erin", code: code))
        let codes = try await identity.makeRecoveryCodes(user: "erin")
        #expect(codes.count == IdentityService.recoveryCodeCount)
        guard case .success = await identity.login(name: "erin", password: Self.password, totp: codes[0], remote: nil, channel: "session", interactive: true)
        else {
            Issue.record("the recovery code was refused")
            return
        }
        let again = await identity.login(name: "erin", password: Self.password, totp: codes[0], remote: nil, channel: "session", interactive: true)
        #expect(again == .failure(.badTOTP))
        #expect(identity.user(named: "erin")?.recoveryCodes?.count == codes.count - 1)
    }

    @Test("the setup token makes one administrator however many requests race with it")
    func setupRace() async throws {
        let identity = try await self.service()
        let token = try #require(identity.prepareFirstAdminSetup())
        let created = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    (try? await identity.completeFirstAdminSetup(token: token, name: "admin\(index)", password: Self.password, remote: nil)) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(created == 1)
        #expect(identity.users().count == 1)
    }
}

/// The current TOTP code of a secret, for tests.
enum TOTPCodes {
    static func current(secret: String) -> String? {
        String(format: "%06d", IdentityService.totpCode(secret: secret, at: Date()))
    }
}

@Suite("TOTP (RFC 6238) on swift-crypto")
struct TOTPTests {
    /// RFC 6238 Appendix B, SHA-1 rows (the key "12345678901234567890"), last six digits.
    @Test(
        "matches the RFC's test vectors",
        arguments: [(59.0, 287_082), (1_111_111_109, 81_804), (1_111_111_111, 50_471), (1_234_567_890, 5_924), (2_000_000_000, 279_037),
                    (20_000_000_000, 353_130)] as [(Double, Int)])
    func vectors(time: Double, code: Int) {
        #expect(TimeBasedOneTimePassword(secret: "12345678901234567890").code(at: Date(timeIntervalSince1970: time)) == code)
    }

    @Test("the authenticator URL carries the base32 secret and the issuer")
    func url() {
        let url = TimeBasedOneTimePassword(secret: "12345678901234567890").authenticatorURL(label: "TwinGuard:alice", issuer: "TwinGuard")
        // The key URI format allows the label's colon literal or encoded.
        #expect(url == "otpauth://totp/TwinGuard%3Aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=TwinGuard")
    }
}
