import Analytics
import Crypto
import Foundation
import Identity
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import TwinGuardCore

/// Delivers events to webhook subscriptions: a JSON POST signed with HMAC-SHA256 over
/// `<timestamp>.<body>` (`X-TwinGuard-Timestamp`, `X-TwinGuard-Signature: sha256=<hex>`), retried with
/// exponential back-off (1, 2, 4, 8, 16 s) on connection errors, 429 and 5xx. Subscriptions live in
/// `DATA/webhooks.json` (mode 0600: it holds the signing secrets).
final class WebhookNotifier: WebhookDirectory, Service {
    struct Delivery: Sendable {
        var hook: WebhookSubscription
        var event: String
        var body: [UInt8]
        var id: String
    }

    /// Counters for `/metrics`.
    struct Statistics: Sendable {
        var delivered: Int
        var failedAttempts: Int
        var abandoned: Int
        var dropped: Int
    }

    static let retryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)]
    static let maximumPerTenant = 20
    private let path: String
    private let hooks: Mutex<[WebhookSubscription]>
    private let stream: AsyncStream<Delivery>
    private let continuation: AsyncStream<Delivery>.Continuation
    private let logger: Logger
    private let delivered = Atomic<Int>(0)
    private let failedAttempts = Atomic<Int>(0)
    private let abandoned = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    /// Back-off delays (shortened in tests).
    let delays: [Duration]

    /// Which addresses deliveries may go to.
    let addressPolicy: WebhookAddressPolicy

    init(
        dataDir: String, logger: Logger, delays: [Duration] = WebhookNotifier.retryDelays,
        addressPolicy: WebhookAddressPolicy = WebhookAddressPolicy()
    ) throws {
        self.addressPolicy = addressPolicy
        self.path = dataDir + "/webhooks.json"
        self.logger = logger
        self.delays = delays
        var loaded: [WebhookSubscription] = []
        if FileManager.default.fileExists(atPath: self.path) {
            try SecretFile.checkPrivate(self.path)
            loaded = try JSONDecoder().decode([WebhookSubscription].self, from: Data(contentsOf: URL(fileURLWithPath: self.path)))
        }
        self.hooks = Mutex(loaded)
        (self.stream, self.continuation) = AsyncStream<Delivery>.makeStream(bufferingPolicy: .bufferingOldest(10_000))
    }

    var statistics: Statistics {
        Statistics(
            delivered: self.delivered.load(ordering: .relaxed), failedAttempts: self.failedAttempts.load(ordering: .relaxed),
            abandoned: self.abandoned.load(ordering: .relaxed), dropped: self.dropped.load(ordering: .relaxed))
    }

    func add(tenant: TenantID, url: String, events: [String]?) throws(AnalyticsError) -> WebhookSubscription {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), let host = parsed.host, !host.isEmpty,
            url.utf8.count <= 2000
        else {
            throw AnalyticsError(.invalidParameters, "'\(url.prefix(200))' is not an http:// or https:// URL with a host")
        }
        // A literal address is judged at once; a name is judged at each delivery, on what it resolves to then.
        let literal = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if let address = try? SocketAddress(ipAddress: literal, port: 80), let refusal = self.addressPolicy.refusal(address) {
            throw AnalyticsError(.invalidParameters, "webhook URL refused: \(refusal)")
        }
        let kinds = events ?? ["alert"]
        guard !kinds.isEmpty, kinds.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 64 }) else {
            throw AnalyticsError(.invalidParameters, "events must be a non-empty list of event kinds such as 'alert' or 'anomaly'")
        }
        let hook = WebhookSubscription(
            id: "wh_" + RandomSecret.make(count: 16), tenant: tenant, url: url, events: kinds, createdAt: RFC3339.format(WallClock.nowNanoseconds()),
            secret: "whsec_" + RandomSecret.make(count: 40))
        try self.update { hooks throws(AnalyticsError) in
            guard hooks.filter({ $0.tenant == tenant }).count < Self.maximumPerTenant else {
                throw AnalyticsError(.invalidParameters, "tenant '\(tenant)' has \(Self.maximumPerTenant) webhooks already; remove one first")
            }
            hooks.append(hook)
        }
        return hook
    }

    func list(tenant: TenantID) -> [WebhookSubscription] {
        self.hooks.withLock { $0.filter { $0.tenant == tenant }.map(\.redacted) }
    }

    func remove(id: String, tenant: TenantID) throws(AnalyticsError) -> Bool {
        var removed = false
        try self.update { hooks in
            let before = hooks.count
            hooks.removeAll { $0.id == id && $0.tenant == tenant }
            removed = hooks.count != before
        }
        return removed
    }

    private func update(_ change: (inout [WebhookSubscription]) throws(AnalyticsError) -> Void) throws(AnalyticsError) {
        let result: Result<Void, AnalyticsError> = self.hooks.withLock { hooks in
            var copy = hooks
            do throws(AnalyticsError) {
                try change(&copy)
            } catch {
                return .failure(error)
            }
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try SecretFile.write(String(decoding: try encoder.encode(copy), as: UTF8.self), to: self.path)
            } catch {
                return .failure(AnalyticsError(.unreadableInput, "cannot save the webhooks: \(error)"))
            }
            hooks = copy
            return .success(())
        }
        try result.get()
    }

    /// Queues `event` for every subscription of `tenant` that wants it (never blocks; a full queue drops).
    func notify(tenant: TenantID, event: String, payload: JSONValue) {
        let targets = self.hooks.withLock { $0.filter { hook in hook.tenant == tenant && hook.events.contains { event == $0 || event.hasPrefix($0 + ".") } } }
        guard !targets.isEmpty else { return }
        let id = "evt_" + RandomSecret.make(count: 16)
        let document: JSONValue = .object(["id": .string(id), "type": .string(event), "tenant": .string(tenant.rawValue),
                                           "time": .string(RFC3339.format(WallClock.nowNanoseconds())), "data": payload])
        guard let body = try? JSONEncoder().encode(document) else { return }
        for hook in targets {
            if case .dropped = self.continuation.yield(Delivery(hook: hook, event: event, body: Array(body), id: id)) {
                self.dropped.add(1, ordering: .relaxed)
            }
        }
    }

    /// The signature header value of `body` sent at `timestamp` (Unix seconds).
    static func signature(secret: String, timestamp: Int, body: [UInt8]) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + body, using: key)
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                var inFlight = 0
                for await delivery in self.stream {
                    if inFlight >= 16 {
                        await group.next()
                        inFlight -= 1
                    }
                    group.addTask { await self.deliver(delivery) }
                    inFlight += 1
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }

    private func deliver(_ delivery: Delivery) async {
        var attempt = 0
        while true {
            let timestamp = Int(Date().timeIntervalSince1970)
            guard let secret = delivery.hook.secret else { return }
            let headers = [
                ("Content-Type", "application/json"), ("User-Agent", "TwinGuard/\(TwinGuardServer.version)"),
                ("X-TwinGuard-Event", delivery.event), ("X-TwinGuard-Delivery", delivery.id), ("X-TwinGuard-Timestamp", "\(timestamp)"),
                ("X-TwinGuard-Signature", Self.signature(secret: secret, timestamp: timestamp, body: delivery.body)),
            ]
            var retry = true
            do {
                let policy = self.addressPolicy
                let response = try await HTTPRequester.send(
                    .POST, url: delivery.hook.url, headers: headers, body: delivery.body, timeout: .seconds(10),
                    permit: { policy.refusal($0) })
                if (200..<300).contains(response.status) {
                    self.delivered.add(1, ordering: .relaxed)
                    return
                }
                retry = response.status == 429 || response.status >= 500
                self.logger.warning("webhook \(delivery.hook.id) answered \(response.status) to \(delivery.event)")
            } catch {
                self.logger.warning("webhook \(delivery.hook.id) delivery of \(delivery.event) failed: \(error)")
            }
            self.failedAttempts.add(1, ordering: .relaxed)
            guard retry, attempt < self.delays.count, !Task.isCancelled else {
                self.abandoned.add(1, ordering: .relaxed)
                return
            }
            try? await Task.sleep(for: self.delays[attempt])
            attempt += 1
        }
    }
}
