import Foundation
import SwiftASN1
import TwinGuardCore
import X509

/// The certificate revocation list (RFC 5280 §5), DER-encoded with SwiftASN1 and signed by the CA.
///
/// swift-certificates has no CRL type, so the structure is written here: version 2, the CA as issuer,
/// this and next update, one entry per revoked serial with its revocation date, and a CRL number.
public enum RevocationList {
    /// How long a published CRL stays current.
    public static let validity: TimeInterval = 86_400

    /// Encodes and signs the CRL for `revoked` certificates.
    /// - Parameter number: the CRL number, increasing with every change (the count of revocations will do).
    public static func encode(
        revoked: [DeviceCertificateRecord], authority: CertificateAuthority, number: Int, now: Date = Date()
    ) throws -> [UInt8] {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // v2
            try Self.ecdsaWithSHA256(&coder)
            try coder.serialize(authority.certificate.subject)
            try coder.serialize(Self.utcTime(now))
            try coder.serialize(Self.utcTime(now.addingTimeInterval(Self.validity)))
            let entries = revoked.filter { $0.revokedAt != nil }
            if !entries.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { list in
                    for entry in entries {
                        try list.appendConstructedNode(identifier: .sequence) { item in
                            try item.serialize(ArraySlice(Hex.decode(entry.serial)))
                            let revokedAt = Date(timeIntervalSince1970: Double(entry.revokedAt ?? 0) / 1e9)
                            try item.serialize(Self.utcTime(revokedAt))
                        }
                    }
                }
            }
            try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { explicit in
                try explicit.appendConstructedNode(identifier: .sequence) { extensions in
                    try extensions.appendConstructedNode(identifier: .sequence) { crlNumber in
                        try crlNumber.serialize(ASN1ObjectIdentifier(elements: [2, 5, 29, 20]))
                        var value = DER.Serializer()
                        try value.serialize(number)
                        try crlNumber.serialize(ASN1OctetString(contentBytes: ArraySlice(value.serializedBytes)))
                    }
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try authority.sign(tbsBytes)
        var list = DER.Serializer()
        try list.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(tbsBytes)
            try Self.ecdsaWithSHA256(&coder)
            try coder.serialize(ASN1BitString(bytes: ArraySlice(signature)))
        }
        return list.serializedBytes
    }

    /// The CRL in PEM (`X509 CRL`), as OpenSSL's `-CRLfile` reads it.
    public static func pem(_ der: [UInt8]) -> String {
        PEMDocument(type: "X509 CRL", derBytes: der).pemString
    }

    private static func ecdsaWithSHA256(_ coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { algorithm in
            try algorithm.serialize(ASN1ObjectIdentifier(elements: [1, 2, 840, 10045, 4, 3, 2]))
        }
    }

    private static func utcTime(_ date: Date) throws -> UTCTime {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return try UTCTime(
            year: parts.year!, month: parts.month!, day: parts.day!, hours: parts.hour!, minutes: parts.minute!, seconds: parts.second!)
    }
}
