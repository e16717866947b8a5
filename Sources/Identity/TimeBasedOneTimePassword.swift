import Crypto
import Foundation

/// RFC 6238 time-based one-time passwords as authenticator apps make them: HMAC-SHA1 over the 30-second step
/// counter (RFC 4226 §5.3 dynamic truncation), six digits. The key is the secret's UTF-8 bytes, which the
/// user's app receives base32-encoded; written on swift-crypto so that Identity needs no web framework.
struct TimeBasedOneTimePassword: Sendable {
    /// Seconds a code is valid.
    static let step: TimeInterval = 30
    /// Digits of a code.
    static let digits = 6

    let secret: String

    /// The code of the step `date` falls in.
    func code(at date: Date) -> Int {
        let counter = UInt64(max(0, date.timeIntervalSince1970) / Self.step)
        return self.code(counter: counter)
    }

    /// The RFC 4226 HOTP value for `counter`.
    func code(counter: UInt64) -> Int {
        let message = withUnsafeBytes(of: counter.bigEndian) { Array($0) }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: Array(self.secret.utf8)))
        let bytes = Array(mac)
        let offset = Int(bytes[bytes.count - 1] & 0x0F)
        let truncated = (Int(bytes[offset] & 0x7F) << 24) | (Int(bytes[offset + 1]) << 16) | (Int(bytes[offset + 2]) << 8) | Int(bytes[offset + 3])
        return truncated % 1_000_000
    }

    /// The `otpauth://` URL authenticator apps read from a QR code (Google Authenticator's key URI format).
    func authenticatorURL(label: String, issuer: String) -> String {
        let path = label.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? label
        let query = issuer.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? issuer
        return "otpauth://totp/\(path)?secret=\(Base32.encode(Array(self.secret.utf8)))&issuer=\(query)"
    }
}
