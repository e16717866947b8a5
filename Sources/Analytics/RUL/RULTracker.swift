import Foundation
import Synchronization
import TwinGuardCore

/// Live remaining useful life: holds the trained model of each twin model (saved under
/// `DATA/rul`), keeps the recent cycles of each twin, re-estimates its RUL with an uncertainty band at
/// every complete cycle, and says when it first falls below the model's maintenance threshold.
public final class RULTracker: Sendable {
    /// A twin's current estimate.
    public struct Estimate: Codable, Sendable, Equatable {
        public var rul: Double
        public var low: Double
        public var high: Double
        /// Cycles seen since the server started watching the twin.
        public var cycles: Int
        public var at: String
        public var model: String
        public var maintenanceBelow: Double?
    }

    /// A trained model installed for a twin model, with how the twin's fields feed it.
    public struct Installed: Codable, Sendable {
        public var tenant: TenantID
        public var modelID: String
        public var binding: RULBinding
        public var model: RULModel
    }

    struct Key: Hashable {
        var tenant: TenantID
        var id: String
    }

    struct History {
        var readings = RunHistory(unit: 0)
        var cycles = 0
        var belowThreshold = false
    }

    /// Cycles kept per twin (the longest feature window is 60).
    static let keptCycles = 150
    private let directory: String?
    private let installed = Mutex<[Key: Installed]>([:])
    private let estimates = Mutex<[Key: Estimate]>([:])
    /// Worker-side state: touched only by ``update(tenant:point:)`` on the watch's worker.
    private let histories = Mutex<[Key: History]>([:])

    /// - Parameter directory: where installed models are saved and loaded from (`nil`: memory only).
    public init(directory: String?) throws(AnalyticsError) {
        self.directory = directory
        guard let directory else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".json") {
                let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
                let entry = try JSONDecoder().decode(Installed.self, from: data)
                self.installed.withLock { $0[Key(tenant: entry.tenant, id: entry.modelID)] = entry }
            }
        } catch {
            throw AnalyticsError(.unreadableInput, "cannot load the RUL models in \(directory): \(error)")
        }
    }

    /// Installs (or replaces) the trained model of a twin model.
    public func install(_ model: RULModel, binding: RULBinding, tenant: TenantID, modelID: String) throws(AnalyticsError) {
        guard let columns = model.metadata.sensorColumns ?? model.conditions.keptSensors.max().map({ $0 + 1 }), binding.sensors.count == columns else {
            throw AnalyticsError(.invalidModel, "the trained model reads \(model.metadata.sensorColumns ?? 0) sensor columns but model '\(modelID)' binds \(binding.sensors.count) fields in rul.sensors; they must match in number and order")
        }
        let entry = Installed(tenant: tenant, modelID: modelID, binding: binding, model: model)
        if let directory = self.directory {
            do {
                try JSONEncoder().encode(entry).write(to: URL(fileURLWithPath: directory + "/" + Self.fileName(tenant, modelID)), options: .atomic)
            } catch {
                throw AnalyticsError(.unreadableInput, "cannot save the RUL model: \(error.localizedDescription)")
            }
        }
        self.installed.withLock { $0[Key(tenant: tenant, id: modelID)] = entry }
    }

    /// The metadata of the model installed for a twin model.
    public func metadata(tenant: TenantID, modelID: String) -> RULModel.Metadata? {
        self.installed.withLock { $0[Key(tenant: tenant, id: modelID)]?.model.metadata }
    }

    /// A twin's latest estimate.
    public func estimate(tenant: TenantID, twin: String) -> Estimate? {
        self.estimates.withLock { $0[Key(tenant: tenant, id: twin)] }
    }

    /// What an update found: the new estimate, and whether it just fell below the maintenance threshold.
    public struct Update: Sendable {
        public var estimate: Estimate
        public var maintenanceDue: Bool
    }

    /// Takes one point of a twin; a point with every bound sensor is a cycle and gets an estimate.
    func update(tenant: TenantID, point: ObservedPoint) -> Update? {
        guard let modelID = point.model, let entry = self.installed.withLock({ $0[Key(tenant: tenant, id: modelID)] }) else { return nil }
        var values: [String: Double] = [:]
        for (field, value) in point.present where field.feedsRUL { values[field.name] = value }
        let sensors = entry.binding.sensors.compactMap { values[$0] }
        guard sensors.count == entry.binding.sensors.count else { return nil }
        let settings = entry.binding.settings.map { names in names.map { values[$0] ?? 0 } } ?? [0, 0, 0]
        let key = Key(tenant: tenant, id: point.twin)
        let (history, first) = self.histories.withLock { histories -> (History, Int) in
            var history = histories[key] ?? History()
            history.readings.settings.append(settings)
            history.readings.sensors.append(sensors)
            history.cycles += 1
            if history.readings.cycles > Self.keptCycles {
                history.readings.settings.removeFirst()
                history.readings.sensors.removeFirst()
            }
            histories[key] = history
            return (history, history.cycles - history.readings.cycles + 1)
        }
        let prediction = entry.model.predict(history.readings, firstCycle: first)
        let threshold = entry.binding.maintenanceBelow
        let estimate = Estimate(
            rul: prediction.rul, low: max(0, prediction.rul - prediction.uncertainty), high: prediction.rul + prediction.uncertainty,
            cycles: history.cycles, at: RFC3339.format(point.timestamp), model: modelID, maintenanceBelow: threshold)
        self.estimates.withLock { $0[key] = estimate }
        var due = false
        if let threshold {
            let below = prediction.rul < threshold
            due = self.histories.withLock { histories in
                guard var current = histories[key] else { return false }
                defer { histories[key] = current }
                if below && !current.belowThreshold {
                    current.belowThreshold = true
                    return true
                }
                // Re-armed once the estimate is clearly back above (after maintenance).
                if current.belowThreshold && prediction.rul > threshold * 1.1 + 1 { current.belowThreshold = false }
                return false
            }
        }
        return Update(estimate: estimate, maintenanceDue: due)
    }

    /// Drops a deleted twin's history and estimate.
    public func forget(tenant: TenantID, twin: String) {
        let key = Key(tenant: tenant, id: twin)
        _ = self.histories.withLock { $0.removeValue(forKey: key) }
        _ = self.estimates.withLock { $0.removeValue(forKey: key) }
    }

    static func fileName(_ tenant: TenantID, _ modelID: String) -> String {
        let text = tenant.rawValue + "\u{0}" + modelID
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let readable = String((tenant.rawValue + "_" + modelID).map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(80))
        return readable + "-" + String(hash, radix: 16) + ".json"
    }
}
