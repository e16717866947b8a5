import Synchronization

/// Subscriptions held per principal over all its sessions, so that one user cannot make a million
/// subscriptions (each costs memory on every publish's match and is restored at every start) by opening many
/// sessions. The per-session cap is checked against the session itself.
final class SubscriptionQuota: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes one subscription for `owner`; false when the owner holds the limit already.
    func reserve(_ owner: String) -> Bool {
        self.counts.withLock { counts in
            let held = counts[owner, default: 0]
            guard held < self.limit else { return false }
            counts[owner] = held + 1
            return true
        }
    }

    /// Gives back `count` subscriptions of `owner` (unsubscribed, or their session ended).
    func release(_ owner: String, count: Int = 1) {
        guard count > 0 else { return }
        self.counts.withLock { counts in
            let left = counts[owner, default: 0] - count
            counts[owner] = left > 0 ? left : nil
        }
    }
}
