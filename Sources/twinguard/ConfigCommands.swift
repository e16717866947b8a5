import ArgumentParser
import TwinGuardServer

/// `twinguard config keys`: the reference of every configuration key.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Describe the configuration.", subcommands: [Keys.self])

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every configuration key with its environment variable, default and meaning (a Markdown table).")

        func run() {
            print(ConfigurationReference.markdownTable, terminator: "")
        }
    }
}
