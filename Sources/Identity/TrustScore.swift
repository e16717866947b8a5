/// A device's trust score, 0–100, from identity strength, posture compliance and behaviour, and the
/// tier it maps to. Pure: the same inputs give the same score, so that an operator can see why.
public struct TrustScore: Sendable, Equatable, Codable {
    public var score: Int
    /// Each deduction, as a sentence.
    public var reasons: [String]

    /// What the score is computed from.
    public struct Inputs: Sendable {
        /// Days until the device's newest certificate expires.
        public var certificateDaysLeft: Double?
        /// The device signs in with a password, a weaker identity than a certificate.
        public var passwordLogin: Bool
        /// `nil` when the device never reported its posture.
        public var postureFindings: [String]?
        /// Policy violations (topics it may not use) in the last hour.
        public var topicViolations: Int
        /// Messages refused for exceeding its rate limits in the last hour.
        public var quotaViolations: Int
        /// Whether its message rate is far above its own baseline now.
        public var rateAnomaly: Bool
        /// Anomalies detected in its telemetry in the last hour (analytics).
        public var anomalies: Int

        public init(
            certificateDaysLeft: Double?, passwordLogin: Bool = false, postureFindings: [String]?, topicViolations: Int, quotaViolations: Int, rateAnomaly: Bool,
            anomalies: Int = 0
        ) {
            self.certificateDaysLeft = certificateDaysLeft
            self.passwordLogin = passwordLogin
            self.postureFindings = postureFindings
            self.topicViolations = topicViolations
            self.quotaViolations = quotaViolations
            self.rateAnomaly = rateAnomaly
            self.anomalies = anomalies
        }
    }

    public static func compute(_ inputs: Inputs) -> TrustScore {
        var score = 100
        var reasons: [String] = []
        func deduct(_ points: Int, _ reason: String) {
            guard points > 0 else { return }
            score -= points
            reasons.append("-\(points): \(reason)")
        }
        if inputs.passwordLogin { deduct(20, "it signs in with a password, not a certificate") }
        if let days = inputs.certificateDaysLeft, days < 3 {
            deduct(10, "its certificate expires in less than 3 days")
        }
        switch inputs.postureFindings {
        case .none: deduct(15, "it has not reported its posture")
        case .some(let findings) where !findings.isEmpty:
            // Any posture finding quarantines (score 35 or less): a device that is not healthy reports, nothing else.
            deduct(min(85, 65 + 10 * (findings.count - 1)), "posture: " + findings.joined(separator: "; "))
        default: break
        }
        deduct(min(40, 10 * inputs.topicViolations), "\(inputs.topicViolations) policy violation(s) in the last hour")
        deduct(min(30, 3 * inputs.quotaViolations), "\(inputs.quotaViolations) message(s) over its rate limit in the last hour")
        if inputs.rateAnomaly { deduct(15, "its message rate is far above its own baseline") }
        deduct(min(20, 2 * inputs.anomalies), "\(inputs.anomalies) telemetry anomaly(ies) in the last hour")
        return TrustScore(score: max(0, score), reasons: reasons)
    }

    /// The tier a score maps to: 70+ trusted, 40–69 restricted, 15–39 quarantined, below 15 blocked.
    public var tier: TrustTier {
        switch self.score {
        case 70...: .trusted
        case 40..<70: .restricted
        case 15..<40: .quarantined
        default: .blocked
        }
    }
}
