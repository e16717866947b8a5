import Foundation
import TwinGuardCore

/// What a device reports about its own health on `tg/{tenant}/{twin}/posture`.
public struct PostureReport: Codable, Sendable, Equatable {
    public var firmwareVersion: String?
    /// Hex SHA-256 of the firmware image, optionally prefixed `sha256:`.
    public var firmwareHash: String?
    public var secureBoot: Bool?
    /// Network services the device has open (`ssh`, `telnet`, `http`, …).
    public var openServices: [String]?
    /// The patch level as a date, `YYYY-MM` or `YYYY-MM-DD`.
    public var patchLevel: String?
    /// A TPM 2.0 quote over the device's PCRs with a nonce from `POST /api/v1/attestation/nonce`.
    public var tpmQuote: TPMQuote?

    public init(
        firmwareVersion: String? = nil, firmwareHash: String? = nil, secureBoot: Bool? = nil, openServices: [String]? = nil,
        patchLevel: String? = nil, tpmQuote: TPMQuote? = nil
    ) {
        self.firmwareVersion = firmwareVersion
        self.firmwareHash = firmwareHash
        self.secureBoot = secureBoot
        self.openServices = openServices
        self.patchLevel = patchLevel
        self.tpmQuote = tpmQuote
    }

    enum CodingKeys: String, CodingKey {
        case firmwareVersion = "firmware_version"
        case firmwareHash = "firmware_hash"
        case secureBoot = "secure_boot"
        case openServices = "open_services"
        case patchLevel = "patch_level"
        case tpmQuote = "tpm_quote"
    }
}

/// What a tenant requires of its devices' posture (in the spirit of SEMI E187 for fab equipment).
public struct PosturePolicy: Codable, Sendable, Equatable {
    /// Firmware older than this (dotted numeric comparison) is non-compliant.
    public var minimumFirmware: String?
    /// When set, only these firmware hashes are allowed.
    public var allowedFirmwareHashes: [String]?
    public var requireSecureBoot: Bool?
    /// Services that must not be open.
    public var forbiddenServices: [String]?
    /// Patch levels older than this are non-compliant.
    public var minimumPatchLevel: String?
    /// Reports without a valid, fresh TPM quote are non-compliant.
    public var requireTPMQuote: Bool?
    /// When set, the quoted PCR digest (hex) must be one of these golden measurements.
    public var allowedPCRDigests: [String]?

    public init(
        minimumFirmware: String? = nil, allowedFirmwareHashes: [String]? = nil, requireSecureBoot: Bool? = nil,
        forbiddenServices: [String]? = ["telnet", "ftp"], minimumPatchLevel: String? = nil
    ) {
        self.minimumFirmware = minimumFirmware
        self.allowedFirmwareHashes = allowedFirmwareHashes
        self.requireSecureBoot = requireSecureBoot
        self.forbiddenServices = forbiddenServices
        self.minimumPatchLevel = minimumPatchLevel
    }

    enum CodingKeys: String, CodingKey {
        case minimumFirmware = "minimum_firmware"
        case allowedFirmwareHashes = "allowed_firmware_hashes"
        case requireSecureBoot = "require_secure_boot"
        case forbiddenServices = "forbidden_services"
        case minimumPatchLevel = "minimum_patch_level"
        case requireTPMQuote = "require_tpm_quote"
        case allowedPCRDigests = "allowed_pcr_digests"
    }

    /// The ways `report` falls short; empty when it complies.
    /// - Parameter attestation: the outcome of checking the report's TPM quote: the quoted PCR digest (hex),
    ///   or why the quote was refused; `nil` when the report has none.
    public func findings(for report: PostureReport, attestation: Result<String, AttestationFailure>? = nil) -> [String] {
        var findings: [String] = []
        switch attestation {
        case .none:
            if self.requireTPMQuote == true { findings.append("no TPM quote reported") }
        case .failure(let failure):
            findings.append(failure.description)
        case .success(let digest):
            if let allowed = self.allowedPCRDigests, !allowed.isEmpty, !allowed.map({ $0.lowercased() }).contains(digest) {
                findings.append("the quoted PCR digest \(digest.prefix(16))… is not an allowed measurement")
            }
        }
        if let minimum = self.minimumFirmware {
            if let version = report.firmwareVersion {
                if Self.compareVersions(version, minimum) < 0 { findings.append("firmware \(version) is older than the required \(minimum)") }
            } else {
                findings.append("no firmware version reported")
            }
        }
        if let allowed = self.allowedFirmwareHashes, !allowed.isEmpty {
            let hash = Self.normalisedHash(report.firmwareHash ?? "")
            if !allowed.map(Self.normalisedHash).contains(hash) {
                findings.append(report.firmwareHash == nil ? "no firmware hash reported" : "firmware hash \(hash.prefix(16))… is not an allowed image")
            }
        }
        if self.requireSecureBoot == true && report.secureBoot != true {
            findings.append("secure boot is \(report.secureBoot == false ? "off" : "not reported")")
        }
        let open = Set((report.openServices ?? []).map { $0.lowercased() })
        for service in (self.forbiddenServices ?? []).map({ $0.lowercased() }).sorted() where open.contains(service) {
            findings.append("forbidden service '\(service)' is open")
        }
        if let minimum = self.minimumPatchLevel {
            if let level = report.patchLevel {
                if level < minimum { findings.append("patch level \(level) is older than the required \(minimum)") }
            } else {
                findings.append("no patch level reported")
            }
        }
        return findings
    }

    static func normalisedHash(_ text: String) -> String {
        let lowered = text.lowercased()
        return lowered.hasPrefix("sha256:") ? String(lowered.dropFirst(7)) : lowered
    }

    /// Compares dotted version numbers numerically (`1.10` > `1.9`); non-numeric parts compare as text.
    static func compareVersions(_ lhs: String, _ rhs: String) -> Int {
        let left = lhs.split(whereSeparator: { $0 == "." || $0 == "-" })
        let right = rhs.split(whereSeparator: { $0 == "." || $0 == "-" })
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? String(left[index]) : "0"
            let b = index < right.count ? String(right[index]) : "0"
            if let x = Int(a), let y = Int(b) {
                if x != y { return x < y ? -1 : 1 }
            } else if a != b {
                return a < b ? -1 : 1
            }
        }
        return 0
    }
}

/// Why a TPM quote in a posture report was not accepted.
public struct AttestationFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
}
