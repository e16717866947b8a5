import Foundation
import Synchronization
import TwinGuardCore

/// Fresh nonces for TPM quotes, and the checks that bind a quote to a device: a nonce the server issued
/// to that device (used once, within 5 minutes), and the same attestation key as its first quote.
extension IdentityService {
    /// How long an attestation nonce stays usable.
    static let nonceLifetime: Int64 = 300_000_000_000

    /// A new nonce (hex, 16 bytes) for `twin`'s next quote.
    public func attestationNonce(tenant: TenantID, twin: String) -> (nonce: String, expiresAt: Int64) {
        var generator = SystemRandomNumberGenerator()
        let nonce = Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let now = WallClock.nowNanoseconds()
        let key = DeviceKey(tenant: tenant, twin: twin)
        self.state.withLock { state in
            var nonces = (state.nonces[key] ?? [:]).filter { $0.value > now }
            if nonces.count >= 16, let oldest = nonces.min(by: { $0.value < $1.value }) { nonces[oldest.key] = nil }
            nonces[nonce] = now + Self.nonceLifetime
            state.nonces[key] = nonces
        }
        return (nonce, now + Self.nonceLifetime)
    }

    /// Checks a report's quote: signature, nonce (consumed), and the pinned attestation key.
    /// - Returns: the quoted PCR digest (hex), or why the quote is refused.
    func checkQuote(_ quote: TPMQuote, key: DeviceKey) -> Result<String, AttestationFailure> {
        let evidence: QuoteEvidence
        do {
            evidence = try quote.verify()
        } catch {
            return .failure(AttestationFailure(description: "\(error)"))
        }
        let now = WallClock.nowNanoseconds()
        let nonce = Hex.encode(evidence.nonce)
        let fresh = self.state.withLock { state -> Bool in
            guard let expiry = state.nonces[key]?[nonce], expiry > now else { return false }
            state.nonces[key]?[nonce] = nil
            return true
        }
        guard fresh else {
            return .failure(AttestationFailure(description: "the TPM quote's nonce was not issued to this device, has expired or was used already"))
        }
        let pinned = self.state.withLock { state -> String? in
            var record = state.trust[key] ?? DeviceTrustRecord()
            defer { state.trust[key] = record }
            if record.attestationKey == nil { record.attestationKey = evidence.keyFingerprint }
            return record.attestationKey
        }
        guard pinned == evidence.keyFingerprint else {
            return .failure(AttestationFailure(description: "the TPM attestation key is not the one this device first attested with"))
        }
        return .success(Hex.encode(evidence.pcrDigest))
    }
}
