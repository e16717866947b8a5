import HTTPTypes
import Identity

extension IdentityError {
    /// The problem details of the refusal: the one place identity errors become HTTP answers.
    var problem: ProblemDetails {
        let status: HTTPResponse.Status =
            switch self.kind {
            case .badRequest: .badRequest
            case .invalid: .unprocessableContent
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .unauthenticated: .unauthorized
            case .tooManyAttempts: .tooManyRequests
            }
        return ProblemDetails(status: status, code: self.code, detail: self.message)
    }
}
