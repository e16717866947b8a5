import ArgumentParser
import Foundation
import Logging
import TwinGuardServer

/// The `twinguard` command: a thin shell over ``TwinGuardServer``.
@main
struct Twinguard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twinguard",
        abstract: "TwinGuard: a secure, zero-trust digital-twin and industrial-IoT platform.",
        version: TwinGuardServer.version,
        subcommands: [
            Serve.self, Demo.self, BackupCommand.self, RestoreCommand.self, TokenCommand.self, DeviceCommand.self, UserCommand.self,
            AuditCommand.self, EvalCommand.self, ConfigCommand.self,
        ])
}

/// Prints one clear line for an error that stops the program, then exits with status 1.
func exitWithError(_ error: any Error) -> Never {
    let message = "\(error)"
    FileHandle.standardError.write(Data("twinguard: error: \(message)\n".utf8))
    exit(1)
}

/// Sets up logging once, for the whole process, on standard error.
func bootstrapLogging(level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "twinguard.server")
}
