import Testing

@testable import MQTT

@Suite("Log lines about misbehaving clients are bounded")
struct LogRateLimiterTests {
    @Test("at most the limit per second, then a count of what was held back")
    func limits() {
        let limiter = LogRateLimiter(limit: 3)
        let start = ContinuousClock.now
        let first = (0..<10).map { _ in limiter.admit(now: start).log }
        #expect(first.filter { $0 }.count == 3)
        let next = limiter.admit(now: start + .seconds(1))
        #expect(next.log && next.heldBack == 7)
    }
}
