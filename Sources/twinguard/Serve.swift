import ArgumentParser
import Logging
import TwinGuardServer

/// `twinguard serve`: runs the server until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the TwinGuard server.")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let configuration: ServerConfiguration
        let warnings: [String]
        do {
            (configuration, warnings) = try self.options.configuration(defaults: ServerConfiguration())
        } catch {
            exitWithError(error)
        }
        let logger = bootstrapLogging(level: configuration.logLevel)
        for warning in warnings { logger.warning("\(warning)") }
        let fileLimit = ResourceLimits.raiseOpenFileLimit()
        logger.info("starting", metadata: ["version": "\(TwinGuardServer.version)", "open_files.limit": "\(fileLimit)"])
        if configuration.allowAnonymous {
            logger.warning("anonymous access is on (--allow-anonymous): for development and tests only")
        }
        do {
            let server = try await TwinGuardServer.build(
                configuration: configuration, developmentAccess: AccessPolicy(allowAnonymous: configuration.allowAnonymous),
                announcer: ListenerAnnouncer(), logger: logger)
            try await server.run()
        } catch {
            exitWithError(error)
        }
    }
}
