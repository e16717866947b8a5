import HTTPTypes
import Identity
import Testing

@testable import HTTPAPI

@Suite("Identity errors become problem details in one place")
struct IdentityErrorProblemTests {
    @Test(
        "each identity error answers its status and stable code",
        arguments: [
            (EnrollmentError.malformedToken as any IdentityErrorConvertible, 400, "bad_enrollment"),
            (EnrollmentError.tokenUsed, 403, "enrollment_refused"), (UserError.exists("bob"), 409, "invalid_user"),
            (UserError.commonPassword, 422, "invalid_user"), (UserChangeError.otherTenant("bob"), 404, "not_found"),
            (UserChangeError.notOnYourself("delete"), 409, "not_on_yourself"), (UserChangeError.wrongPassword, 403, "wrong_password"),
            (LoginFailure.badCredentials, 401, "login_failed"), (LoginFailure.tooManyFromSource, 429, "login_failed"),
            (AccessTokenFailure.expired, 403, "forbidden"), (SetupError.refused, 403, "setup_refused"),
            (PolicyError.invalid("no"), 422, "invalid_policy"), (PostureError.malformed, 422, "invalid_posture"),
        ] as [(any IdentityErrorConvertible, Int, String)])
    func mapping(error: any IdentityErrorConvertible, status: Int, code: String) {
        let problem = error.identityError.problem
        #expect(problem.statusCode == status)
        #expect(problem.code == code)
        #expect(problem.detail == error.description)
    }
}
