/// What kind of abnormality a detector saw; the component of the detector that scored highest.
public enum AnomalyKind: String, Codable, Sendable, CaseIterable {
    /// One value far from what the recent past predicts.
    case spike
    /// The recent mean moved away from the long-run mean.
    case levelShift = "level_shift"
    /// A slow, sustained move of the mean (a drifting sensor, wear).
    case drift
    /// The spread of the values changed (noisier or calmer than usual).
    case varianceChange = "variance_change"
    /// The same value repeated far longer than the series ever does (a stuck sensor).
    case frozen
    /// The value is unusual for this time of day, though not for the series as a whole.
    case seasonal
    /// The field no longer follows its usual relation to the twin's other fields.
    case relation
}

/// How serious an anomaly is, from its score.
public enum AnomalySeverity: String, Codable, Sendable {
    case minor, major, critical

    /// `critical` from 0.9, `major` from 0.7, else `minor`.
    public init(score: Double) {
        self = score >= 0.9 ? .critical : score >= 0.7 ? .major : .minor
    }
}

/// The verdict on one value.
public struct AnomalyScore: Sendable, Equatable {
    /// 0 (normal) to 1 (certainly abnormal); 0.5 is the default alarm threshold.
    public var score: Double
    /// The component that scored highest.
    public var kind: AnomalyKind
    /// The range the detector expected the value in (about three spreads around its forecast).
    public var expectedLow: Double
    public var expectedHigh: Double

    public init(score: Double, kind: AnomalyKind, expectedLow: Double, expectedHigh: Double) {
        self.score = score
        self.kind = kind
        self.expectedLow = expectedLow
        self.expectedHigh = expectedHigh
    }

    /// Nothing to report (warm-up, or a value that is not a number).
    public static let none = AnomalyScore(score: 0, kind: .spike, expectedLow: .nan, expectedHigh: .nan)
}
