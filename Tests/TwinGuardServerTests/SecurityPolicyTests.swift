import Foundation
import NIOCore
import Testing
import TwinGuardCore

@testable import TwinGuardServer

@Suite("Security policies: webhook addresses, plaintext credentials, principals")
struct SecurityPolicyTests {
    @Test(
        "webhooks may not reach the machine or its internal networks",
        arguments: [
            ("127.0.0.1", "a loopback address"), ("127.255.0.9", "a loopback address"), ("10.0.0.1", "a private address"),
            ("172.16.5.4", "a private address"), ("172.31.255.255", "a private address"), ("192.168.1.1", "a private address"),
            ("169.254.169.254", "a link-local address"), ("100.64.0.1", "a carrier-grade NAT address"), ("0.0.0.0", "an unspecified address"),
            ("224.0.0.1", "a multicast address"), ("::1", "a loopback address"), ("::", "an unspecified address"),
            ("fe80::1", "a link-local address"), ("fd00::1", "a private (unique local) address"), ("::ffff:127.0.0.1", "a loopback address"),
            ("::ffff:10.1.1.1", "a private address"), ("ff02::1", "a multicast address"),
        ])
    func internalAddress(address: String, range: String) throws {
        let socket = try SocketAddress(ipAddress: address, port: 443)
        #expect(WebhookAddressPolicy.internalRange(socket) == range)
        #expect(WebhookAddressPolicy().refusal(socket) != nil)
        #expect(WebhookAddressPolicy(allowPrivateAddresses: true).refusal(socket) == nil)
    }

    @Test("public addresses are allowed", arguments: ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2a00:1450:4001::1", "1.1.1.1"])
    func publicAddress(address: String) throws {
        #expect(WebhookAddressPolicy().refusal(try SocketAddress(ipAddress: address, port: 443)) == nil)
    }

    @Test(
        "passwords over plaintext only from loopback unless allowed",
        arguments: [
            ("[IPv4]127.0.0.1/127.0.0.1:46528", true), ("[IPv6]::1/::1:4000", true), ("[IPv4]10.0.0.2/10.0.0.2:5000", false),
            ("[IPv6]::ffff:127.0.0.1/::ffff:127.0.0.1:80", true), ("[IPv4]128.0.0.1/128.0.0.1:1", false), (nil, false),
        ] as [(String?, Bool)])
    func plaintext(remote: String?, loopback: Bool) {
        #expect(PlaintextCredentialPolicy.isLoopback(remote) == loopback)
        #expect(PlaintextCredentialPolicy().permits(encrypted: false, remote: remote) == loopback)
        #expect(PlaintextCredentialPolicy().permits(encrypted: true, remote: remote))
        #expect(PlaintextCredentialPolicy(allowsRemotePlaintext: true).permits(encrypted: false, remote: remote))
    }

    @Test("no name makes a principal the local administrator or the development anonymous client")
    func principalsByKind() {
        let impostor = Principal(tenant: .default, role: .admin, subject: "local-admin")
        #expect(impostor != .localAdministrator)
        #expect(!impostor.administersAllTenants && !impostor.spansTenants)
        let anonymous = Principal(tenant: .default, role: .admin, subject: "anonymous")
        #expect(anonymous != .anonymousDevelopment && !anonymous.spansTenants)
        #expect(Principal.localAdministrator.administersAllTenants && Principal.anonymousDevelopment.spansTenants)
        #expect(!Principal.anonymousDevelopment.administersAllTenants)
        #expect(impostor.ownerKey == "user:local-admin" && Principal.localAdministrator.ownerKey == "local-admin")
        #expect(Principal(tenant: .default, role: .device, subject: "pump-1").ownerKey == "device:pump-1")
    }
}
