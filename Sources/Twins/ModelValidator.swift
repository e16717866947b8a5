import Foundation
import TwinGuardCore

/// Checks an uploaded model document and reports every mistake with its JSON path and what was expected.
public enum ModelValidator {
    private static let rootKeys: Set<String> = ["id", "displayName", "description", "extends", "properties", "telemetry", "commands", "relationships", "stateModel", "rul"]
    private static let propertyKeys: Set<String> = ["name", "schema", "writable", "unit", "minimum", "maximum", "values", "description", "displayName"]
    private static let telemetryKeys: Set<String> = ["name", "schema", "unit", "expectedRange", "anomaly", "alerts", "description", "displayName"]
    private static let commandKeys: Set<String> = ["name", "request", "response", "description", "displayName"]
    private static let relationshipKeys: Set<String> = ["name", "target", "description", "displayName"]

    /// Whether `id` looks like `scheme:path;version` (e.g. `tg:factory:CNCMachine;1`).
    public static func isValidModelID(_ id: String) -> Bool {
        let parts = id.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count == 2, let version = Int(parts[1]), version >= 1, !parts[0].isEmpty, parts[0].utf8.count <= 200,
            let first = parts[0].first, first.isLetter
        else { return false }
        return parts[0].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ":" || $0 == "_" || $0 == "." || $0 == "-") }
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter, name.utf8.count <= 64 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// Parses and validates a model document.
    /// - Throws: ``TwinError`` (`invalid_model`) listing every issue.
    public static func validate(_ data: Data) throws(TwinError) -> TwinModel {
        let document: JSONValue
        do {
            document = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TwinError(.invalidModel, "The model is not valid JSON: \(error.localizedDescription)",
                            issues: [.init(path: "$", message: "expected a JSON object")])
        }
        var issues: [TwinError.Issue] = []
        guard case .object(let root) = document else {
            throw TwinError(.invalidModel, "The model must be a JSON object.", issues: [.init(path: "$", message: "expected an object")])
        }
        Self.checkKeys(root, allowed: Self.rootKeys, path: "$", issues: &issues)
        if let id = root["id"]?.text {
            if !Self.isValidModelID(id) {
                issues.append(.init(path: "$.id", message: "expected 'scheme:name;version' such as 'tg:factory:CNCMachine;1'"))
            }
        } else {
            issues.append(.init(path: "$.id", message: root["id"] == nil ? "required: the model id with its version" : "expected a string"))
        }
        for key in ["displayName", "description"] where root[key] != nil && root[key]?.text == nil {
            issues.append(.init(path: "$.\(key)", message: "expected a string"))
        }
        if let extends = root["extends"] {
            if case .array(let list) = extends {
                for (index, item) in list.enumerated() where !(item.text.map(Self.isValidModelID) ?? false) {
                    issues.append(.init(path: "$.extends[\(index)]", message: "expected a model id with version"))
                }
            } else {
                issues.append(.init(path: "$.extends", message: "expected an array of model ids"))
            }
        }
        if let stateModel = root["stateModel"] { Self.checkStateModel(stateModel, issues: &issues) }
        if let rul = root["rul"] { Self.checkRUL(rul, issues: &issues) }
        var names: [String: String] = [:]
        Self.checkList(root, "properties", keys: Self.propertyKeys, names: &names, issues: &issues) { item, path, issues in
            let schema = Self.checkSchema(item, path: path, allowed: SchemaType.allCases, issues: &issues)
            Self.checkType(item, "writable", "boolean", path: path, issues: &issues)
            Self.checkType(item, "unit", "string", path: path, issues: &issues)
            for key in ["minimum", "maximum"] where item[key] != nil {
                if item[key]?.number == nil {
                    issues.append(.init(path: "\(path).\(key)", message: "expected a number"))
                } else if schema != .integer && schema != .double && schema != nil {
                    issues.append(.init(path: "\(path).\(key)", message: "allowed only for integer and double properties"))
                }
            }
            if let minimum = item["minimum"]?.number, let maximum = item["maximum"]?.number, minimum > maximum {
                issues.append(.init(path: "\(path).minimum", message: "expected minimum <= maximum (\(minimum) > \(maximum))"))
            }
            if schema == .enum {
                let values: [JSONValue] = if case .array(let list) = item["values"] { list } else { [] }
                if values.isEmpty || !values.allSatisfy({ $0.text != nil }) {
                    issues.append(.init(path: "\(path).values", message: "an enum needs a non-empty array of strings"))
                }
            } else if item["values"] != nil {
                issues.append(.init(path: "\(path).values", message: "allowed only for enum properties"))
            }
        }
        Self.checkList(root, "telemetry", keys: Self.telemetryKeys, names: &names, issues: &issues) { item, path, issues in
            _ = Self.checkSchema(item, path: path, allowed: [.boolean, .integer, .double, .string], issues: &issues)
            Self.checkType(item, "unit", "string", path: path, issues: &issues)
            if let range = item["expectedRange"] {
                if case .object(let range) = range {
                    Self.checkKeys(range, allowed: ["min", "max"], path: "\(path).expectedRange", issues: &issues)
                    for key in ["min", "max"] where range[key] != nil && range[key]?.number == nil {
                        issues.append(.init(path: "\(path).expectedRange.\(key)", message: "expected a number"))
                    }
                    if let low = range["min"]?.number, let high = range["max"]?.number, low > high {
                        issues.append(.init(path: "\(path).expectedRange", message: "expected min <= max"))
                    }
                } else {
                    issues.append(.init(path: "\(path).expectedRange", message: "expected an object with min and/or max"))
                }
            }
            if let anomaly = item["anomaly"] {
                Self.checkAnomaly(anomaly, schema: item["schema"], path: "\(path).anomaly", issues: &issues)
            }
            if let alerts = item["alerts"] {
                Self.checkAlerts(alerts, schema: item["schema"], path: "\(path).alerts", issues: &issues)
            }
        }
        Self.checkList(root, "commands", keys: Self.commandKeys, names: &names, issues: &issues) { item, path, issues in
            for key in ["request", "response"] where item[key] != nil && item[key]?.typeName != "object" {
                issues.append(.init(path: "\(path).\(key)", message: "expected a JSON Schema object"))
            }
        }
        var relationshipNames: [String: String] = [:]
        Self.checkList(root, "relationships", keys: Self.relationshipKeys, names: &relationshipNames, issues: &issues) { item, path, issues in
            if let target = item["target"], !(target.text.map(Self.isValidModelID) ?? false) {
                issues.append(.init(path: "\(path).target", message: "expected a model id with version"))
            }
        }
        guard issues.isEmpty else {
            let summary = issues.prefix(3).map { "\($0.path): \($0.message)" }.joined(separator: "; ")
            throw TwinError(.invalidModel, "The model has \(issues.count) problem(s): \(summary)", issues: issues)
        }
        do {
            return try JSONDecoder().decode(TwinModel.self, from: data)
        } catch {
            throw TwinError(.invalidModel, "The model could not be read: \(error)", issues: [.init(path: "$", message: "\(error)")])
        }
    }

    private static func checkKeys(_ object: [String: JSONValue], allowed: Set<String>, path: String, issues: inout [TwinError.Issue]) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            issues.append(.init(path: "\(path).\(key)", message: "unknown member; expected one of \(allowed.sorted().joined(separator: ", "))"))
        }
    }

    private static func checkType(_ item: [String: JSONValue], _ key: String, _ typeName: String, path: String, issues: inout [TwinError.Issue]) {
        guard let value = item[key], value.typeName != typeName else { return }
        issues.append(.init(path: "\(path).\(key)", message: "expected a \(typeName)"))
    }

    private static func checkSchema(_ item: [String: JSONValue], path: String, allowed: [SchemaType], issues: inout [TwinError.Issue]) -> SchemaType? {
        guard let raw = item["schema"]?.text, let schema = SchemaType(rawValue: raw), allowed.contains(schema) else {
            issues.append(.init(path: "\(path).schema", message: "expected one of \(allowed.map(\.rawValue).joined(separator: ", "))"))
            return nil
        }
        return schema
    }

    private static func checkList(
        _ root: [String: JSONValue], _ key: String, keys: Set<String>, names: inout [String: String], issues: inout [TwinError.Issue],
        _ check: ([String: JSONValue], String, inout [TwinError.Issue]) -> Void
    ) {
        guard let value = root[key] else { return }
        guard case .array(let list) = value else {
            issues.append(.init(path: "$.\(key)", message: "expected an array"))
            return
        }
        for (index, element) in list.enumerated() {
            let path = "$.\(key)[\(index)]"
            guard case .object(let item) = element else {
                issues.append(.init(path: path, message: "expected an object"))
                continue
            }
            Self.checkKeys(item, allowed: keys, path: path, issues: &issues)
            if let name = item["name"]?.text, Self.isValidName(name) {
                if let previous = names[name] {
                    issues.append(.init(path: "\(path).name", message: "'\(name)' is already declared at \(previous)"))
                } else {
                    names[name] = path
                }
            } else {
                issues.append(.init(path: "\(path).name", message: "expected a name of letters, digits and _ starting with a letter (at most 64)"))
            }
            check(item, path, &issues)
        }
    }

    /// Streaming anomaly detection settings of a telemetry field.
    private static func checkAnomaly(_ value: JSONValue, schema: JSONValue?, path: String, issues: inout [TwinError.Issue]) {
        guard case .object(let object) = value else {
            issues.append(.init(path: path, message: "expected an object (enabled, detector, sensitivity, warmUp, memory, seasonal, threshold)"))
            return
        }
        if case .string(let type) = schema, type != "double", type != "integer" {
            issues.append(.init(path: path, message: "anomaly detection needs a numeric field (double or integer), not \(type)"))
        }
        Self.checkKeys(object, allowed: ["enabled", "detector", "sensitivity", "warmUp", "memory", "seasonal", "threshold"], path: path, issues: &issues)
        if let detector = object["detector"], detector.text == nil {
            issues.append(.init(path: "\(path).detector", message: "expected one of \(AnomalyDetectionSettings.detectors.joined(separator: ", "))"))
        }
        for key in ["enabled", "seasonal"] where object[key] != nil && object[key]?.typeName != "boolean" {
            issues.append(.init(path: "\(path).\(key)", message: "expected true or false"))
        }
        for key in ["sensitivity", "warmUp", "memory", "threshold"] where object[key] != nil && object[key]?.number == nil {
            issues.append(.init(path: "\(path).\(key)", message: "expected a number"))
        }
        if case .number(let warmUp)? = object["warmUp"], warmUp != warmUp.rounded() {
            issues.append(.init(path: "\(path).warmUp", message: "expected an integer"))
        }
        let settings = AnomalyDetectionSettings(
            detector: object["detector"]?.text, sensitivity: object["sensitivity"]?.number, warmUp: object["warmUp"]?.number.flatMap { $0 == $0.rounded() ? Int(max(min($0, 1e9), -1e9)) : nil },
            memory: object["memory"]?.number, threshold: object["threshold"]?.number)
        for problem in settings.problems { issues.append(.init(path: "\(path).\(problem.member)", message: problem.message)) }
    }

    /// The state model for simulation: structure and types (parameter values are checked when it runs).
    private static func checkStateModel(_ value: JSONValue, issues: inout [TwinError.Issue]) {
        let path = "$.stateModel"
        guard case .object(let object) = value else {
            issues.append(.init(path: path, message: "expected an object with kind, parameters, inputs, stateField, inputFields, thresholds"))
            return
        }
        Self.checkKeys(object, allowed: ["kind", "parameters", "inputs", "stateField", "inputFields", "thresholds"], path: path, issues: &issues)
        let kinds = StateModelKind.allCases.map(\.rawValue)
        if !(object["kind"]?.text.map(kinds.contains) ?? false) {
            issues.append(.init(path: "\(path).kind", message: "expected one of \(kinds.joined(separator: ", "))"))
        }
        for key in ["parameters", "inputs"] {
            guard let member = object[key] else { continue }
            guard case .object(let values) = member else {
                issues.append(.init(path: "\(path).\(key)", message: "expected an object of name → number"))
                continue
            }
            for (name, number) in values where number.number == nil {
                issues.append(.init(path: "\(path).\(key).\(name)", message: "expected a number"))
            }
        }
        if let field = object["stateField"], field.text == nil { issues.append(.init(path: "\(path).stateField", message: "expected a field name")) }
        if let fields = object["inputFields"] {
            if case .object(let values) = fields {
                for (name, field) in values where field.text == nil {
                    issues.append(.init(path: "\(path).inputFields.\(name)", message: "expected a field name"))
                }
            } else {
                issues.append(.init(path: "\(path).inputFields", message: "expected an object of input → field name"))
            }
        }
        if let thresholds = object["thresholds"] {
            guard case .array(let list) = thresholds else {
                issues.append(.init(path: "\(path).thresholds", message: "expected an array"))
                return
            }
            for (index, item) in list.enumerated() {
                let itemPath = "\(path).thresholds[\(index)]"
                guard case .object(let threshold) = item else {
                    issues.append(.init(path: itemPath, message: "expected an object with name and above or below"))
                    continue
                }
                Self.checkKeys(threshold, allowed: ["name", "above", "below", "failure"], path: itemPath, issues: &issues)
                if threshold["name"]?.text == nil { issues.append(.init(path: "\(itemPath).name", message: "required: a name")) }
                for key in ["above", "below"] where threshold[key] != nil && threshold[key]?.number == nil {
                    issues.append(.init(path: "\(itemPath).\(key)", message: "expected a number"))
                }
                if threshold["above"] == nil && threshold["below"] == nil {
                    issues.append(.init(path: itemPath, message: "expected above or below"))
                }
                if let failure = threshold["failure"], failure.typeName != "boolean" {
                    issues.append(.init(path: "\(itemPath).failure", message: "expected true or false"))
                }
            }
        }
    }

    /// Alert rules of a telemetry field.
    private static func checkAlerts(_ value: JSONValue, schema: JSONValue?, path: String, issues: inout [TwinError.Issue]) {
        guard case .array(let list) = value else {
            issues.append(.init(path: path, message: "expected an array of rules"))
            return
        }
        var seen: Set<String> = []
        for (index, item) in list.enumerated() {
            let rulePath = "\(path)[\(index)]"
            guard case .object(let rule) = item else {
                issues.append(.init(path: rulePath, message: "expected an object with name, kind and its limits"))
                continue
            }
            Self.checkKeys(rule, allowed: ["name", "kind", "above", "below", "seconds", "hysteresis", "severity"], path: rulePath, issues: &issues)
            if let name = rule["name"]?.text {
                if !seen.insert(name).inserted { issues.append(.init(path: "\(rulePath).name", message: "duplicate rule name '\(name)'")) }
            } else {
                issues.append(.init(path: "\(rulePath).name", message: "required: a name"))
            }
            for key in ["above", "below", "seconds", "hysteresis"] where rule[key] != nil && rule[key]?.number == nil {
                issues.append(.init(path: "\(rulePath).\(key)", message: "expected a number"))
            }
            if let hysteresis = rule["hysteresis"]?.number, hysteresis < 0 {
                issues.append(.init(path: "\(rulePath).hysteresis", message: "expected a number of 0 or more"))
            }
            if let severity = rule["severity"], !["minor", "major", "critical"].contains(severity.text ?? "") {
                issues.append(.init(path: "\(rulePath).severity", message: "expected minor, major or critical"))
            }
            let numeric = !(schema?.text == "string" || schema?.text == "enum")
            switch rule["kind"]?.text.flatMap(AlertRuleKind.init(rawValue:)) {
            case .threshold?, .rate?:
                if rule["above"] == nil && rule["below"] == nil { issues.append(.init(path: rulePath, message: "expected above and/or below")) }
                if !numeric { issues.append(.init(path: rulePath, message: "threshold and rate rules need a numeric field")) }
            case .absence?:
                if !((rule["seconds"]?.number ?? 0) > 0) { issues.append(.init(path: "\(rulePath).seconds", message: "required: the seconds without data, above 0")) }
            case nil:
                issues.append(.init(path: "\(rulePath).kind", message: "expected threshold, rate or absence"))
            }
        }
    }

    /// The fields that feed a remaining-useful-life model.
    private static func checkRUL(_ value: JSONValue, issues: inout [TwinError.Issue]) {
        let path = "$.rul"
        guard case .object(let object) = value else {
            issues.append(.init(path: path, message: "expected an object with sensors, settings and maintenanceBelow"))
            return
        }
        Self.checkKeys(object, allowed: ["sensors", "settings", "maintenanceBelow"], path: path, issues: &issues)
        for key in ["sensors", "settings"] {
            guard let member = object[key] else {
                if key == "sensors" { issues.append(.init(path: "\(path).sensors", message: "required: the sensor fields in training order")) }
                continue
            }
            guard case .array(let list) = member, !list.isEmpty, list.allSatisfy({ $0.text != nil }) else {
                issues.append(.init(path: "\(path).\(key)", message: "expected a non-empty array of field names"))
                continue
            }
        }
        if let below = object["maintenanceBelow"], !((below.number ?? -1) >= 0) {
            issues.append(.init(path: "\(path).maintenanceBelow", message: "expected a number of cycles, 0 or more"))
        }
    }
}
