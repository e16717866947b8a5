import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Which addresses webhooks may be delivered to. A webhook URL is chosen by a tenant's user, so by default it
/// may not reach the server's own machine or its internal network (server-side request forgery): loopback,
/// link-local (cloud metadata at 169.254.169.254), private, carrier-grade NAT, unspecified, multicast and
/// reserved ranges, in IPv4 and IPv6 (IPv4-mapped addresses included), are refused unless
/// `webhooks.allow_private_addresses = true`. The check is made on the address actually connected to, after
/// name resolution, so a name that resolves to an internal address is refused as well.
struct WebhookAddressPolicy: Sendable {
    /// Whether internal addresses are allowed (a closed plant network whose receivers are on it).
    var allowPrivateAddresses = false

    /// The reason `address` is refused, or nil when it may be used.
    func refusal(_ address: SocketAddress) -> String? {
        guard !self.allowPrivateAddresses, let range = Self.internalRange(address) else { return nil }
        return "\(address.ipAddress ?? "the address") is \(range); webhooks may only reach public addresses "
            + "(an administrator can allow internal ones with webhooks.allow_private_addresses = true)"
    }

    /// The kind of internal range `address` lies in, or nil for a public address.
    static func internalRange(_ address: SocketAddress) -> String? {
        guard let text = address.ipAddress else { return "a local socket" }
        switch address.protocol {
        case .inet:
            var raw = in_addr()
            guard inet_pton(AF_INET, text, &raw) == 1 else { return "not an IP address" }
            return Self.internalRange(ipv4: UInt32(bigEndian: raw.s_addr))
        case .inet6:
            var bytes = [UInt8](repeating: 0, count: 16)
            guard inet_pton(AF_INET6, text, &bytes) == 1 else { return "not an IP address" }
            return Self.internalRange(ipv6: bytes)
        default:
            return "a local socket"
        }
    }

    static func internalRange(ipv4 value: UInt32) -> String? {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { value >> (32 - bits) == base >> (32 - bits) }
        if within(0x7F00_0000, 8) { return "a loopback address" }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) { return "a private address" }
        if within(0xA9FE_0000, 16) { return "a link-local address" }
        if within(0x6440_0000, 10) { return "a carrier-grade NAT address" }
        if within(0x0000_0000, 8) { return "an unspecified address" }
        if within(0xE000_0000, 4) { return "a multicast address" }
        if within(0xF000_0000, 4) { return "a reserved address" }
        if within(0xC000_0000, 24) || within(0xC612_0000, 15) { return "a reserved address" }
        return nil
    }

    static func internalRange(ipv6 bytes: [UInt8]) -> String? {
        guard bytes.count == 16 else { return "not an IPv6 address" }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) { return bytes[15] == 1 ? "a loopback address" : "an unspecified address" }
        // ::ffff:a.b.c.d and the deprecated ::a.b.c.d carry an IPv4 address.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && ((bytes[10] == 0xFF && bytes[11] == 0xFF) || (bytes[10] == 0 && bytes[11] == 0)) {
            let v4 = UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15])
            return Self.internalRange(ipv4: v4)
        }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return "a link-local address" }
        if bytes[0] & 0xFE == 0xFC { return "a private (unique local) address" }
        if bytes[0] == 0xFF { return "a multicast address" }
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8 { return "a documentation address" }
        return nil
    }
}
