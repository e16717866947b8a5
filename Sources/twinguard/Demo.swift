import ArgumentParser
import Logging
import TwinGuardServer

/// `twinguard demo`: the server on the embedded store, the web console, and a simulated fleet of enrolled
/// devices on three sites with scripted incidents.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server with a simulated fleet of devices (binds 127.0.0.1 by default).")

    @OptionGroup var options: ServerOptions

    @Option(help: "Run the simulation this many times faster than real time.")
    var speed: Double = 1

    func run() async throws {
        var defaults = ServerConfiguration()
        defaults.bind = "127.0.0.1"
        // The guide and the demo's progress lines stay readable: notices (denials) and worse, unless asked.
        defaults.logLevel = .notice
        let configuration: ServerConfiguration
        let warnings: [String]
        do {
            (configuration, warnings) = try self.options.configuration(defaults: defaults)
        } catch {
            exitWithError(error)
        }
        guard self.speed > 0, self.speed <= 10_000 else {
            exitWithError(ValidationError("--speed must be between 0 and 10000"))
        }
        let logger = bootstrapLogging(level: configuration.logLevel)
        for warning in warnings { logger.warning("\(warning)") }
        ResourceLimits.raiseOpenFileLimit()
        // The fleet gets a credential made for this run only: no default password exists.
        let username = "demo"
        let password = AccessPolicy.randomSecret()
        let announcer = ListenerAnnouncer()
        do {
            let server = try await TwinGuardServer.build(
                configuration: configuration,
                developmentAccess: AccessPolicy(
                    allowAnonymous: configuration.allowAnonymous, ephemeralCredentials: [username: Array(password.utf8)]),
                announcer: announcer, logger: logger)
            let (consoleUser, consolePassword) = try await DemoFleet.prepareConsoleLogin(server)
            let fleet = DemoFleet(server: server, announcer: announcer, speed: self.speed, logger: logger)
            let guide = DemoGuide(
                announcer: announcer, server: server, username: username, password: password, consoleUser: consoleUser,
                consolePassword: consolePassword, speed: self.speed)
            try await server.run(extraServices: [fleet, guide])
        } catch {
            exitWithError(error)
        }
    }
}
