/// The twin models of the demo fleet, as an integrator would upload them (`POST /api/v1/models`): the
/// anomaly detection, alert rules, state models and RUL binding in them are what make the platform find
/// the scripted incidents. Detection warms up on 60 values and ignores the time of day (the demo is
/// minutes old).
enum DemoModels {
    static let cnc = "tg:demo:CNCMachine;1"
    static let conveyor = "tg:demo:Conveyor;1"
    static let compressor = "tg:demo:AirCompressor;1"
    static let diesel = "tg:demo:DieselEngine;1"
    static let pump = "tg:demo:Pump;1"
    static let generator = "tg:demo:Generator;1"
    static let traffic = "tg:demo:TrafficCounter;1"
    static let airQuality = "tg:demo:AirQualityStation;1"
    static let meter = "tg:demo:EnergyMeter;1"
    static let streetlight = "tg:demo:Streetlight;1"

    /// Maintenance is called when the CNC spindle bearing's predicted RUL falls below this many cycles.
    static let bearingMaintenanceBelow = 30.0

    private static let watch = #"{"warmUp": 90, "seasonal": false}"#

    private static func field(_ name: String, _ unit: String, anomaly: Bool = true, alerts: String? = nil) -> String {
        var parts = [#""name": "\#(name)""#, #""schema": "double""#, #""unit": "\#(unit)""#]
        if anomaly { parts.append(#""anomaly": \#(Self.watch)"#) }
        if let alerts { parts.append(#""alerts": \#(alerts)"#) }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    private static func model(
        _ id: String, _ name: String, telemetry: [String], properties: [String] = [], relationships: [String] = [], extra: String = ""
    ) -> String {
        let relations = relationships.map { #"{"name": "\#($0)"}"# }.joined(separator: ", ")
        let firmware = #"{"name": "firmware_version", "schema": "string"}"#
        return """
            {"id": "\(id)", "displayName": "\(name)",
             "properties": [\(([firmware] + properties).joined(separator: ", "))],
             "telemetry": [\(telemetry.joined(separator: ", "))],
             "relationships": [\(relations)]\(extra.isEmpty ? "" : ", " + extra)}
            """
    }

    /// Every model, in upload order.
    static var all: [(id: String, json: String)] {
        [
            (cnc, model(
                cnc, "CNC machining centre",
                telemetry: [
                    field("spindle_vibration_mm_s", "mm/s", alerts: #"[{"name": "vibration-high", "kind": "threshold", "above": 7.1, "hysteresis": 0.5, "severity": "major"}]"#),
                    field("temperature_c", "°C", alerts: #"[{"name": "spindle-hot", "kind": "threshold", "above": 65, "hysteresis": 2, "severity": "major"}]"#),
                    field("current_a", "A"),
                    field("cycle_count", "cycles", anomaly: false),
                ],
                properties: [#"{"name": "feed_rate_percent", "schema": "double", "writable": true, "minimum": 10, "maximum": 150, "unit": "%"}"#],
                relationships: ["fedBy", "suppliedBy"],
                extra: """
                    "stateModel": {"kind": "thermal", "stateField": "temperature_c", "parameters": {"tau": 900, "gain": 1.6},
                                   "inputs": {"ambient": 22, "power": 12},
                                   "thresholds": [{"name": "spindle too hot", "above": 70, "failure": true}]},
                    "rul": {"sensors": ["spindle_vibration_mm_s", "temperature_c", "current_a"], "maintenanceBelow": \(Int(Self.bearingMaintenanceBelow))}
                    """)),
            (conveyor, model(
                conveyor, "Conveyor", telemetry: [field("speed_m_s", "m/s"), field("motor_temperature_c", "°C"), field("load_kg", "kg")],
                properties: [#"{"name": "speed_setpoint_m_s", "schema": "double", "writable": true, "minimum": 0, "maximum": 3, "unit": "m/s"}"#],
                relationships: ["feeds"])),
            (compressor, model(
                compressor, "Air compressor",
                telemetry: [
                    field("pressure_bar", "bar", alerts: #"[{"name": "pressure-low", "kind": "threshold", "below": 6, "hysteresis": 0.3, "severity": "major"}]"#),
                    field("power_kw", "kW"), field("outlet_temperature_c", "°C"),
                ],
                relationships: ["supplies"],
                extra: #""stateModel": {"kind": "tank", "stateField": "pressure_bar", "parameters": {"area": 1, "capacity": 10}, "inputs": {"inflow": 0.004, "outflow": 0.004}, "thresholds": [{"name": "receiver below 6 bar", "below": 6}]}"#)),
            (diesel, model(
                diesel, "Main diesel engine",
                telemetry: [
                    field("rpm", "1/min"), field("exhaust_gas_temperature_c", "°C"),
                    field("lube_oil_pressure_bar", "bar", alerts: #"[{"name": "lube-oil-low", "kind": "threshold", "below": 3, "hysteresis": 0.2, "severity": "critical"}]"#),
                    field("fuel_rate_l_h", "l/h"),
                ] + (1...6).map { field("egt_cylinder_\($0)_c", "°C", anomaly: false) },
                relationships: ["drives"],
                extra: #""stateModel": {"kind": "thermal", "stateField": "exhaust_gas_temperature_c", "parameters": {"tau": 300, "gain": 0.09}, "inputs": {"ambient": 40, "power": 3800}, "thresholds": [{"name": "exhaust over 420 °C", "above": 420}]}"#)),
            (pump, model(
                pump, "Pump", telemetry: [field("flow_m3_h", "m³/h"), field("discharge_pressure_bar", "bar"), field("motor_current_a", "A")],
                relationships: ["poweredBy"])),
            (generator, model(
                generator, "Diesel generator",
                telemetry: [field("power_kw", "kW"), field("voltage_v", "V"), field("frequency_hz", "Hz"), field("winding_temperature_c", "°C")],
                relationships: ["powers"],
                extra: #""stateModel": {"kind": "thermal", "stateField": "winding_temperature_c", "parameters": {"tau": 1200, "gain": 0.1}, "inputs": {"ambient": 35, "power": 400}, "thresholds": [{"name": "winding over 110 °C", "above": 110, "failure": true}]}"#)),
            (traffic, model(traffic, "Traffic counter", telemetry: [field("vehicles_per_min", "1/min"), field("mean_speed_kmh", "km/h")])),
            (airQuality, model(
                airQuality, "Air-quality station",
                telemetry: [
                    field("pm25_ug_m3", "µg/m³"),
                    field("no2_ug_m3", "µg/m³", alerts: #"[{"name": "no2-limit", "kind": "threshold", "above": 200, "hysteresis": 10, "severity": "minor"}]"#),
                ])),
            (meter, model(
                meter, "Energy meter", telemetry: [field("power_kw", "kW"), field("energy_kwh", "kWh", anomaly: false)], relationships: ["meters"])),
            (streetlight, model(
                streetlight, "Streetlight",
                telemetry: [field("power_w", "W"), field("ambient_lux", "lx")],
                properties: [#"{"name": "dim_level_percent", "schema": "double", "writable": true, "minimum": 0, "maximum": 100, "unit": "%"}"#],
                relationships: ["meteredBy"])),
        ]
    }
}
