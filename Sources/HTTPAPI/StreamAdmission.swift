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

    /// A place taken: given back once, whichever comes first of the stream's end and its socket's close.
    final class Ticket: Sendable {
        private let admission: StreamAdmission
        private let key: String
        private let released = Atomic<Bool>(false)

        fileprivate init(_ admission: StreamAdmission, key: String) {
            self.admission = admission
            self.key = key
        }

        func release() {
            guard !self.released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            self.admission.release(key: self.key)
        }
    }

    /// Takes a place for `principal`; nil when it, or the server, has no room.
    func admit(_ principal: Principal) -> Ticket? {
        let key = "\(principal.tenant.rawValue)/\(principal.ownerKey)"
        let admitted = self.state.withLock { state in
            let held = state.byPrincipal[key, default: 0]
            guard held < self.perPrincipal, state.total < self.total else { return false }
            state.byPrincipal[key] = held + 1
            state.total += 1
            return true
        }
        return admitted ? Ticket(self, key: key) : nil
    }

    /// Gives back the place of a stream that ended.
    private func release(key: String) {
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
