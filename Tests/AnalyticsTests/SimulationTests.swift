import Analytics
import Foundation
import Testing
import TwinGuardCore

@Suite("What-if simulation")
struct SimulationTests {
    func model(_ kind: StateModelKind, _ parameters: [String: Double], inputs: [String: Double] = [:], thresholds: [StateThreshold] = []) -> StateModelDefinition {
        var definition = StateModelDefinition(kind: kind)
        definition.parameters = parameters
        definition.inputs = inputs
        definition.thresholds = thresholds
        return definition
    }

    @Test("thermal model follows T(t) = Tss + (T0 - Tss)·e^(-t/tau) and predicts the crossing")
    func thermal() throws {
        let definition = self.model(.thermal, ["tau": 1800, "gain": 0.5], thresholds: [StateThreshold(name: "hot", above: 60)])
        var request = Simulator.Request(horizon: 4 * 3600, step: 10)
        request.inputs = ["ambient": 25, "power": 80]
        let result = try Simulator.run(definition, initial: 30, request: request, now: 0)
        let steady = 25.0 + 0.5 * 80
        for (time, value) in zip(result.times, result.values) {
            #expect(abs(value - (steady + (30 - steady) * exp(-time / 1800))) < 1e-9)
        }
        // 30 → 65 steady; crosses 60 when e^(-t/1800) = 5/35.
        let crossing = try #require(result.crossings.first)
        #expect(abs(crossing.after - 1800 * log(35.0 / 5)) <= 10)
        #expect(result.timeToFailure == nil)
    }

    @Test("wear accumulates as rate·(load/nominal)^k and gives the time to failure")
    func wear() throws {
        let definition = self.model(.wear, ["rate": 1e-6, "exponent": 2, "nominal": 100])
        var request = Simulator.Request(horizon: 365 * 86_400, step: 60)
        request.inputs = ["load": 150]
        let result = try Simulator.run(definition, initial: 0.1, request: request, now: 1_000_000_000)
        // 0.9 left at 2.25e-6 per second = 400,000 s.
        let failure = try #require(result.timeToFailure)
        #expect(abs(failure - 400_000) <= 60)
        #expect(result.crossings.first?.failure == true && result.crossings.first?.time == RFC3339.format(1_000_000_000 + 400_020 * 1_000_000_000))
        #expect(result.steps == 525_600 && result.times.count <= 1002)
    }

    @Test("a year at one-minute steps with input noise runs every step and stays near the steady state")
    func yearAtMinuteSteps() throws {
        let definition = self.model(.thermal, ["tau": 3600])
        var request = Simulator.Request(horizon: 365 * 86_400)
        request.noise = ["ambient": 2]
        request.seed = 7
        let result = try Simulator.run(definition, initial: 20, request: request, now: 0)
        // No timing assertion (debug builds vary); what it computed is checked instead.
        #expect(result.steps == 525_600)
        #expect(result.values.count == result.times.count && result.times.last == 365 * 86_400)
        #expect(result.values.allSatisfy { $0.isFinite })
        let steady = result.values.suffix(100).reduce(0, +) / 100
        #expect(abs(steady - result.values.last!) < 10 && result.minimum < result.maximum)
    }

    @Test("tank, battery and queue match their closed forms, clamped at their limits")
    func otherKinds() throws {
        var request = Simulator.Request(horizon: 3600, step: 60)
        request.inputs = ["inflow": 0.02, "outflow": 0.01]
        let tank = try Simulator.run(self.model(.tank, ["area": 2, "capacity": 100]), initial: 1, request: request, now: 0)
        #expect(abs(tank.final - (1 + 0.01 / 2 * 3600)) < 1e-9)
        request.inputs = ["inflow": 1]
        #expect(try Simulator.run(self.model(.tank, ["area": 2, "capacity": 10]), initial: 1, request: request, now: 0).final == 10)

        request.inputs = ["dischargeW": 500]
        let battery = try Simulator.run(self.model(.battery, ["capacityWh": 1000, "efficiency": 0.9], thresholds: [StateThreshold(name: "empty", below: 0.2, failure: true)]), initial: 0.9, request: request, now: 0)
        #expect(abs(battery.final - (0.9 - 500 / 0.9 / 1000)) < 1e-9)
        #expect(battery.timeToFailure == nil)

        request.inputs = ["arrivalRate": 2]
        let queue = try Simulator.run(self.model(.queue, ["serviceRate": 1.5]), initial: 0, request: request, now: 0)
        #expect(abs(queue.final - 0.5 * 3600) < 1e-9)
    }

    @Test("is deterministic with a seed and differs across seeds")
    func seeded() throws {
        var request = Simulator.Request(horizon: 86_400, step: 60)
        request.inputs = ["arrivalRate": 1]
        request.stochastic = true
        request.seed = 42
        let definition = self.model(.queue, ["serviceRate": 1.1])
        let first = try Simulator.run(definition, initial: 5, request: request, now: 0)
        let second = try Simulator.run(definition, initial: 5, request: request, now: 0)
        request.seed = 43
        let third = try Simulator.run(definition, initial: 5, request: request, now: 0)
        #expect(first.values == second.values && first.values != third.values)
    }

    @Test("refuses unknown parameters and inputs, missing state, and runaway horizons clearly")
    func errors() {
        let definition = self.model(.thermal, ["tau": 100])
        var request = Simulator.Request(horizon: 3600)
        request.inputs = ["speed": 1]
        #expect { try Simulator.run(definition, initial: 1, request: request, now: 0) } throws: { "\($0)".contains("'speed' is not an input of a thermal model") }
        #expect { try Simulator.run(self.model(.thermal, [:]), initial: 1, request: Simulator.Request(horizon: 60), now: 0) } throws: { "\($0)".contains("needs parameter 'tau'") }
        #expect { try Simulator.run(definition, initial: nil, request: Simulator.Request(horizon: 60), now: 0) } throws: { "\($0)".contains("send 'initial'") }
        #expect { try Simulator.run(definition, initial: 1, request: Simulator.Request(horizon: 1e9, step: 1), now: 0) } throws: { "\($0)".contains("steps is more than") }
        // The attack review's request trapped on Int(∞): every such horizon and step is a clear refusal.
        for (horizon, step) in [(1e300, 1e-300), (1e300, 60), (60, 1e-300), (.infinity, 60), (60, .nan), (-1, 60), (60, 0)] as [(Double, Double)] {
            #expect { try Simulator.run(definition, initial: 1, request: Simulator.Request(horizon: horizon, step: step), now: 0) } throws: {
                "\($0)".contains("horizon must be") || "\($0)".contains("step must be")
            }
        }
        #expect { try Simulator.run(self.model(.thermal, ["tau": -1]), initial: 1, request: Simulator.Request(horizon: 60), now: 0) } throws: { "\($0)".contains("outside") }
    }

    @Test("calibration recovers the parameters that generated a history")
    func calibration() throws {
        let truth = self.model(.thermal, ["tau": 1200, "gain": 0.3])
        var times: [Double] = []
        var state: [Double] = []
        var power: [Double] = []
        var ambient: [Double] = []
        var temperature = 20.0
        var random = TestRandom(state: 9)
        for index in 0..<2000 {
            let p = index % 400 < 200 ? 100.0 : 20.0
            let a = 18 + 4 * sin(Double(index) / 300)
            times.append(Double(index) * 30)
            state.append(temperature + 0.01 * random.gaussian())
            power.append(p)
            ambient.append(a)
            let steady = a + 0.3 * p
            temperature = steady + (temperature - steady) * exp(-30.0 / 1200)
        }
        let fit = try Calibration.fit(truth, samples: .init(times: times, state: state, inputs: ["power": power, "ambient": ambient]))
        #expect(abs(fit.parameters["tau"]! - 1200) / 1200 < 0.05)
        #expect(abs(fit.parameters["gain"]! - 0.3) / 0.3 < 0.05)
        #expect(fit.rSquared > 0.9 && fit.unchanged.isEmpty && fit.samples == 2000)
        #expect { try Calibration.fit(truth, samples: .init(times: [0, 1], state: [1, 2], inputs: [:])) } throws: { "\($0)".contains("at least 10") }
    }
}
