/// The demo's three sites and their devices, and the incidents scripted over its first minutes (in
/// simulated seconds: `--speed` brings them sooner).
enum DemoFleetCatalog {
    typealias Signal = SimulatedDevice.Signal

    static let factory = "plant-leipzig"
    static let vessel = "mv-nordlys"
    static let city = "district-north"

    /// When the rogue device enrolls with a stolen token (simulated seconds).
    static let rogueAt = 60.0
    /// The twin whose enrollment token the rogue steals (its real device enrolls after the rogue).
    static let stolenTokenTwin = "streetlight-09"

    static let devices: [SimulatedDevice] = factoryDevices + vesselDevices + cityDevices

    static let factoryDevices: [SimulatedDevice] = [
        cnc("cnc-01", area: "hall-a"),
        cnc("cnc-02", area: "hall-a", incident: .bearingWear(life: 200)),
        cnc("cnc-03", area: "hall-b"),
        SimulatedDevice(
            twinID: "conveyor-01", model: DemoModels.conveyor, site: factory, area: "hall-a",
            signals: [
                Signal(name: "speed_m_s", base: 1.2, amplitude: 0.05, periodSeconds: 30, noise: 0.03),
                Signal(name: "motor_temperature_c", base: 38, amplitude: 2, periodSeconds: 18, noise: 0.3),
                Signal(name: "load_kg", base: 340, amplitude: 40, periodSeconds: 15, noise: 8),
            ],
            relationships: [("feeds", "cnc-01"), ("feeds", "cnc-02"), ("feeds", "cnc-03")], settings: ["speed_setpoint_m_s": 1.2]),
        compressor("compressor-01", area: "utilities"),
        compressor("compressor-02", area: "utilities"),
    ]

    static let vesselDevices: [SimulatedDevice] = [
        diesel("engine-port", stuck: false),
        diesel("engine-starboard", stuck: true),
        pump("pump-01", area: "cooling"),
        pump("pump-02", area: "fuel", incident: .firmwareRollback(at: 45, version: "2.1.0")),
        generator("generator-01"),
        generator("generator-02"),
    ]

    static let cityDevices: [SimulatedDevice] = [
        traffic("traffic-01", incident: nil),
        traffic("traffic-02", incident: .flood(at: 120, perSecond: 600, seconds: 4, bursts: 4)),
        airQuality("air-quality-01", incident: nil),
        airQuality("air-quality-02", incident: .drift(field: "no2_ug_m3", at: 90, perSecond: 0.12)),
        SimulatedDevice(
            twinID: "meter-01", model: DemoModels.meter, site: city, area: "substation",
            signals: [
                Signal(name: "power_kw", base: 86, amplitude: 14, periodSeconds: 30, noise: 2),
                Signal(name: "energy_kwh", base: 0, amplitude: 0, periodSeconds: 1, noise: 0),
            ]),
        streetlight("streetlight-01"),
        streetlight("streetlight-02"),
        streetlight(stolenTokenTwin),
    ]

    private static func cnc(_ id: String, area: String, incident: SimulatedDevice.Incident? = nil) -> SimulatedDevice {
        SimulatedDevice(
            twinID: id, model: DemoModels.cnc, site: factory, area: area, signals: [],
            relationships: [("fedBy", "conveyor-01"), ("suppliedBy", "compressor-01")], incident: incident,
            settings: ["feed_rate_percent": 100])
    }

    private static func compressor(_ id: String, area: String) -> SimulatedDevice {
        SimulatedDevice(
            twinID: id, model: DemoModels.compressor, site: factory, area: area,
            signals: [
                Signal(name: "pressure_bar", base: 7.5, amplitude: 0.3, periodSeconds: 20, noise: 0.05),
                Signal(name: "power_kw", base: 22, amplitude: 3, periodSeconds: 20, noise: 0.4),
                Signal(name: "outlet_temperature_c", base: 78, amplitude: 3, periodSeconds: 24, noise: 0.4),
            ],
            relationships: [("supplies", "cnc-01"), ("supplies", "cnc-02"), ("supplies", "cnc-03")])
    }

    private static func diesel(_ id: String, stuck: Bool) -> SimulatedDevice {
        SimulatedDevice(
            twinID: id, model: DemoModels.diesel, site: vessel, area: "engine-room",
            signals: [
                Signal(name: "rpm", base: 720, amplitude: 12, periodSeconds: 25, noise: 2),
                Signal(name: "exhaust_gas_temperature_c", base: 380, amplitude: 8, periodSeconds: 16, noise: 1.5),
                Signal(name: "lube_oil_pressure_bar", base: 4.2, amplitude: 0.15, periodSeconds: 14, noise: 0.04),
                Signal(name: "fuel_rate_l_h", base: 610, amplitude: 25, periodSeconds: 30, noise: 4),
            ] + (1...6).map { Signal(name: "egt_cylinder_\($0)_c", base: 372 + Double($0 * 3), amplitude: 8, periodSeconds: 16, noise: 2) },
            relationships: [("drives", id == "engine-port" ? "generator-01" : "generator-02")],
            incident: stuck ? .stuck(field: "lube_oil_pressure_bar", at: 150) : nil)
    }

    private static func pump(_ id: String, area: String, incident: SimulatedDevice.Incident? = nil) -> SimulatedDevice {
        SimulatedDevice(
            twinID: id, model: DemoModels.pump, site: vessel, area: area,
            signals: [
                Signal(name: "flow_m3_h", base: 42, amplitude: 3, periodSeconds: 18, noise: 0.5),
                Signal(name: "discharge_pressure_bar", base: 3.1, amplitude: 0.1, periodSeconds: 18, noise: 0.03),
                Signal(name: "motor_current_a", base: 18, amplitude: 1, periodSeconds: 18, noise: 0.3),
            ],
            relationships: [("poweredBy", "generator-01")], incident: incident)
    }

    private static func generator(_ id: String) -> SimulatedDevice {
        SimulatedDevice(
            twinID: id, model: DemoModels.generator, site: vessel, area: "engine-room",
            signals: [
                Signal(name: "power_kw", base: 410, amplitude: 40, periodSeconds: 24, noise: 5),
                Signal(name: "voltage_v", base: 440, amplitude: 2, periodSeconds: 30, noise: 0.8),
                Signal(name: "frequency_hz", base: 60, amplitude: 0.05, periodSeconds: 30, noise: 0.02),
                Signal(name: "winding_temperature_c", base: 82, amplitude: 3, periodSeconds: 24, noise: 0.4),
            ],
            relationships: [("powers", "pump-01"), ("powers", "pump-02")])
    }

    private static func traffic(_ id: String, incident: SimulatedDevice.Incident?) -> SimulatedDevice {
        SimulatedDevice(
            twinID: id, model: DemoModels.traffic, site: city, area: "ring-road",
            signals: [
                Signal(name: "vehicles_per_min", base: 38, amplitude: 10, periodSeconds: 24, noise: 3),
                Signal(name: "mean_speed_kmh", base: 44, amplitude: 5, periodSeconds: 24, noise: 1.5),
            ],
            incident: incident)
    }

    private static func airQuality(_ id: String, incident: SimulatedDevice.Incident?) -> SimulatedDevice {
        SimulatedDevice(
            twinID: id, model: DemoModels.airQuality, site: city, area: "market-square",
            signals: [
                Signal(name: "pm25_ug_m3", base: 14, amplitude: 3, periodSeconds: 30, noise: 0.6),
                Signal(name: "no2_ug_m3", base: 28, amplitude: 4, periodSeconds: 30, noise: 0.8),
            ],
            incident: incident)
    }

    private static func streetlight(_ id: String) -> SimulatedDevice {
        SimulatedDevice(
            twinID: id, model: DemoModels.streetlight, site: city, area: "ring-road",
            signals: [
                Signal(name: "power_w", base: 62, amplitude: 2, periodSeconds: 20, noise: 0.5),
                Signal(name: "ambient_lux", base: 4, amplitude: 1.5, periodSeconds: 30, noise: 0.2),
            ],
            relationships: [("meteredBy", "meter-01")], settings: ["dim_level_percent": 80])
    }
}
