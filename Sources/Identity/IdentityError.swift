import TwinGuardCore

/// A refusal of the identity layer as its callers see it: what kind of refusal, a stable code and the message.
///
/// Each identity error type keeps its own cases (code and tests match on them) and says which refusal it is
/// (``IdentityErrorConvertible``), so that the HTTP API maps every one of them in one place, as it does
/// `TwinError`, and the command line prints the same message.
public struct IdentityError: Error, Equatable, Sendable, CustomStringConvertible {
    /// How a client should read the refusal (the HTTP status follows from it).
    public enum Kind: Sendable, Equatable {
        /// The request is malformed (400).
        case badRequest
        /// Well-formed but not acceptable: a weak password, an invalid policy (422).
        case invalid
        /// Who asks may not do this (403).
        case forbidden
        /// No such user or token (404).
        case notFound
        /// It clashes with what exists (409).
        case conflict
        /// The credentials are wrong (401).
        case unauthenticated
        /// Too many attempts: wait (429).
        case tooManyAttempts
    }

    public let kind: Kind
    /// Stable and machine-readable, e.g. `enrollment_refused`.
    public let code: String
    public let message: String

    public init(_ kind: Kind, code: String, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}

/// An identity error that says which ``IdentityError`` it is.
public protocol IdentityErrorConvertible: Error, CustomStringConvertible {
    var identityError: IdentityError { get }
}

extension EnrollmentError: IdentityErrorConvertible {
    public var identityError: IdentityError {
        switch self {
        case .malformedToken, .badRequest: IdentityError(.badRequest, code: "bad_enrollment", message: self.description)
        case .unknownToken, .tokenUsed, .tokenExpired, .wrongCA: IdentityError(.forbidden, code: "enrollment_refused", message: self.description)
        }
    }
}

extension UserError: IdentityErrorConvertible {
    public var identityError: IdentityError {
        switch self {
        case .exists: IdentityError(.conflict, code: "invalid_user", message: self.description)
        case .unknown: IdentityError(.notFound, code: "not_found", message: self.description)
        default: IdentityError(.invalid, code: "invalid_user", message: self.description)
        }
    }
}

extension UserChangeError: IdentityErrorConvertible {
    public var identityError: IdentityError {
        switch self {
        case .unknown, .otherTenant: IdentityError(.notFound, code: "not_found", message: self.description)
        case .notOnYourself: IdentityError(.conflict, code: "not_on_yourself", message: self.description)
        case .wrongPassword: IdentityError(.forbidden, code: "wrong_password", message: self.description)
        }
    }
}

extension LoginFailure: IdentityErrorConvertible {
    public var identityError: IdentityError {
        switch self {
        case .locked, .tooManyFromSource: IdentityError(.tooManyAttempts, code: "login_failed", message: self.description)
        default: IdentityError(.unauthenticated, code: "login_failed", message: self.description)
        }
    }
}

extension AccessTokenFailure: IdentityErrorConvertible {
    public var identityError: IdentityError { IdentityError(.forbidden, code: "forbidden", message: self.description) }
}

extension SetupError: IdentityErrorConvertible {
    public var identityError: IdentityError { IdentityError(.forbidden, code: "setup_refused", message: self.description) }
}

extension DevicePasswordError: IdentityErrorConvertible {
    public var identityError: IdentityError { IdentityError(.forbidden, code: "device_passwords_off", message: self.description) }
}

extension PolicyError: IdentityErrorConvertible {
    public var identityError: IdentityError { IdentityError(.invalid, code: "invalid_policy", message: self.description) }
}

extension PostureError: IdentityErrorConvertible {
    public var identityError: IdentityError {
        switch self {
        case .malformed: IdentityError(.invalid, code: "invalid_posture", message: self.description)
        case .notTheDevice: IdentityError(.forbidden, code: "forbidden", message: self.description)
        }
    }
}

extension AttestationFailure: IdentityErrorConvertible {
    public var identityError: IdentityError { IdentityError(.forbidden, code: "attestation_failed", message: self.description) }
}

extension CertificateAuthorityError: IdentityErrorConvertible {
    public var identityError: IdentityError {
        switch self {
        case .badRequest: IdentityError(.badRequest, code: "bad_certificate_request", message: self.description)
        case .unreadable, .unsupportedKey, .insecureKeyFile: IdentityError(.invalid, code: "ca_unusable", message: self.description)
        }
    }
}
