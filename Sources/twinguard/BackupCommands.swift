import ArgumentParser
import Foundation
import TwinGuardServer

/// `twinguard backup`: a consistent copy of a data dir, also while a server runs on it.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy a data dir (database and telemetry) consistently, also while serving.")

    @Option(name: .customLong("data-dir"), help: "The data dir to back up.")
    var dataDir = "./twinguard-data"

    @Option(help: "A new, empty directory for the backup.")
    var out: String

    func run() throws {
        do {
            print(try Backup.create(dataDir: self.dataDir, destination: self.out))
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard restore`: puts a backup into a data dir no server is using.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup into a data dir (stop the server that uses it first).")

    @Option(help: "The backup directory written by 'twinguard backup'.")
    var from: String

    @Option(name: .customLong("data-dir"), help: "The data dir to restore into (empty unless --force).")
    var dataDir = "./twinguard-data"

    @Flag(help: "Replace what the data dir holds.")
    var force = false

    func run() throws {
        do {
            print(try Backup.restore(from: self.from, dataDir: self.dataDir, force: self.force))
        } catch {
            exitWithError(error)
        }
    }
}
