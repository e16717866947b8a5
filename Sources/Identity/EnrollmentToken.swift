import Crypto
import TwinGuardCore

/// A one-time enrollment token as a device receives it: `<id>.<secret>.<ca-fingerprint>`.
///
/// The id finds the stored record, the secret proves possession (only its SHA-256 is stored), and the
/// fingerprint (hex SHA-256 of the CA certificate) lets the device check, before it sends anything, that
/// it talks to the server that made the token — as `kubeadm join` pins the cluster CA.
public struct EnrollmentToken: Sendable, Equatable, CustomStringConvertible {
    public let id: String
    public let secret: String
    public let caFingerprint: String

    /// A fresh random token for the CA with `caFingerprint`.
    public static func generate(caFingerprint: String) -> EnrollmentToken {
        EnrollmentToken(id: RandomSecret.make(count: 10), secret: RandomSecret.make(count: 32), caFingerprint: caFingerprint)
    }

    init(id: String, secret: String, caFingerprint: String) {
        self.id = id
        self.secret = secret
        self.caFingerprint = caFingerprint
    }

    /// Parses a token; `nil` when it does not have the three parts of the right alphabets and lengths.
    public init?(_ text: String) {
        let parts = text.trimmingWhitespace().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 10, parts[1].count == 32, parts[2].count == 64,
            parts[0].allSatisfy(Self.isTokenCharacter), parts[1].allSatisfy(Self.isTokenCharacter),
            parts[2].allSatisfy(\.isHexDigit)
        else { return nil }
        self.init(id: String(parts[0]), secret: String(parts[1]), caFingerprint: parts[2].lowercased())
    }

    public var description: String { "\(self.id).\(self.secret).\(self.caFingerprint)" }

    /// What the store keeps of the secret.
    public var secretHash: String { Hex.sha256(Array(self.secret.utf8)) }

    private static func isTokenCharacter(_ character: Character) -> Bool {
        character.isASCII && RandomSecret.alphabet.contains(character)
    }
}

/// Random secrets (tokens, passwords, ids) from an alphabet without look-alike characters, read from the
/// system's cryptographic generator.
public enum RandomSecret {
    /// Lowercase letters and digits without `l`, `o`, `0` and `1`: 32 symbols, 5 bits each.
    static let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")

    /// `count` random characters of ``alphabet``.
    public static func make(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in Self.alphabet[Int(generator.next() % UInt64(Self.alphabet.count))] })
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
