import Synchronization
import TwinGuardCore

/// Live streams (SSE and WebSocket) open at once, per principal and in all: each holds a subscription to the
/// event hub, a task and a socket, so one user must not open thousands.
public final class StreamAdmission: Sendable {
    /// Streams one principal may have open at once.
    public let perPrincipal: Int
    /// Streams open at once on the server.
    public let total: Int
    private let state = Mutex<(byPrincipal: [String: Int], total: Int)>(([:], 0))

    public init(perPrincipal: Int = 16, total: Int = 5_000) {
        self.perPrincipal = perPrincipal
        self.total = total
    }

    /// Takes a place for `principal`; false when it, or the server, has no room.
    func admit(_ principal: Principal) -> Bool {
        let key = "\(principal.tenant.rawValue)/\(principal.ownerKey)"
        return self.state.withLock { state in
            let held = state.byPrincipal[key, default: 0]
            guard held < self.perPrincipal, state.total < self.total else { return false }
            state.byPrincipal[key] = held + 1
            state.total += 1
            return true
        }
    }

    /// Gives back the place of a stream that ended.
    func release(_ principal: Principal) {
        let key = "\(principal.tenant.rawValue)/\(principal.ownerKey)"
        self.state.withLock { state in
            let left = state.byPrincipal[key, default: 0] - 1
            state.byPrincipal[key] = left > 0 ? left : nil
            state.total = max(0, state.total - 1)
        }
    }

    /// The refusal in words.
    var refusal: String {
        "too many live streams: at most \(self.perPrincipal) at once per user or device (\(self.total) on the server); close one first"
    }
}
