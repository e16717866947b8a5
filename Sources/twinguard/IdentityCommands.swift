import ArgumentParser
import Foundation
import TwinGuardCore
import TwinGuardServer

/// Where an administrative command acts: the running server of that data dir, or the data dir itself.
struct AdminTarget: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default ./twinguard-data).")
    var dataDir = "./twinguard-data"

    @Option(name: .customLong("tenant"), help: "Tenant (default 'default'; used when no server runs).")
    var tenant = "default"

    func open() async -> (AdminAccess, TenantID) {
        guard let tenant = TenantID(self.tenant) else {
            exitWithError(ValidationError("'\(self.tenant)' is not a valid tenant id"))
        }
        do {
            return (try await AdminAccess.open(dataDir: self.dataDir), tenant)
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard token …`
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create tokens.", subcommands: [EnrollmentTokenCommand.self])
}

/// `twinguard token enrollment --twin ID`: prints a one-time enrollment token on its last line.
struct EnrollmentTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrollment",
        abstract: "Create a one-time enrollment token for a twin (creating the twin if needed); the token is the last line.")

    @Option(help: "The twin the enrolled device will speak for.") var twin: String
    @Option(help: "The twin's model, when the twin is created now.") var model: String?
    @Option(help: "How long the token is valid (default 1h).") var ttl = "1h"
    @OptionGroup var target: AdminTarget

    func run() async throws {
        let (access, tenant) = await self.target.open()
        do {
            let (token, expires) = try await access.createEnrollmentToken(twin: self.twin, model: self.model, ttl: self.ttl, tenant: tenant)
            print("enrollment token for twin '\(self.twin)', valid until \(expires), usable once:")
            print(token)
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard device …`
struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Enroll a device, renew its certificate, or revoke one.",
        subcommands: [EnrollCommand.self, RenewCommand.self, RevokeCommand.self])
}

/// `twinguard device enroll --server URL --token T --out DIR`: the device side of enrollment.
struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enroll this device: writes DIR/device.key (0600), DIR/device.crt and DIR/ca.crt.")

    @Option(help: "The server's HTTPS URL, such as https://plant.example:8443.") var server: String
    @Option(help: "The enrollment token from 'twinguard token enrollment'.") var token: String
    @Option(help: "Where to write the key and certificates.") var out: String

    func run() async throws {
        do {
            let result = try await DeviceEnrollment.enroll(server: self.server, token: self.token, directory: self.out)
            print("enrolled as twin '\(result.twin)' of tenant '\(result.tenant)'")
            print("key: \(result.keyPath)  certificate: \(result.certificatePath)  CA: \(result.caPath)")
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard device renew --server URL --dir DIR`: a fresh certificate before the current one expires.
struct RenewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew", abstract: "Renew this device's certificate with the current one (replaces DIR/device.key and DIR/device.crt).")

    @Option(help: "The server's HTTPS URL.") var server: String
    @Option(help: "Where the current key and certificates are (as written by 'device enroll').") var dir: String

    func run() async throws {
        do {
            let result = try await DeviceEnrollment.renew(server: self.server, directory: self.dir)
            print("renewed the certificate of twin '\(result.twin)': \(result.certificatePath)")
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard device revoke --twin ID`
struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke every certificate of a twin's device and close its live connections.")

    @Option(help: "The twin whose device is revoked.") var twin: String
    @Option(help: "Why (goes to the audit log).") var reason = "revoked from the command line"
    @OptionGroup var target: AdminTarget

    func run() async throws {
        let (access, tenant) = await self.target.open()
        do {
            print(try await access.revoke(twin: self.twin, reason: self.reason, tenant: tenant))
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard user …`
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.",
        subcommands: [UserAddCommand.self, UserChangeCommand.self, UserTokensCommand.self, UserRevokeTokenCommand.self])
}

/// `twinguard user add NAME --role R --password-stdin`
struct UserAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a user.")

    @Argument(help: "The user name.") var name: String
    @Option(help: "viewer, engineer, operator, security-officer or admin.") var role: String
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (required: never on the command line).")
    var passwordStdin = false
    @Option(name: .customLong("site"), help: "Limit the user to a site (twins tagged site=NAME); repeat for several. Default: the whole tenant.")
    var sites: [String] = []
    @OptionGroup var target: AdminTarget

    func run() async throws {
        guard self.passwordStdin else {
            exitWithError(ValidationError("pass the password on standard input with --password-stdin"))
        }
        guard let role = Role(rawValue: self.role), role != .device else {
            exitWithError(ValidationError("'\(self.role)' is not a role: viewer, engineer, operator, security-officer or admin"))
        }
        let password = (readLine(strippingNewline: true) ?? "")
        let (access, tenant) = await self.target.open()
        do {
            try await access.addUser(name: self.name, role: role, password: password, tenant: tenant, sites: self.sites.isEmpty ? nil : self.sites)
            print("user '\(self.name)' added with role \(role.rawValue)" + (self.sites.isEmpty ? "" : ", limited to sites \(self.sites.joined(separator: ", "))"))
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard user change NAME --role R | --disable | --enable | --delete | --reset-password | --reset-totp`.
struct UserChangeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change",
        abstract: "Change a user's role, disable, enable or delete it, or reset its password or second factor (audited).")

    @Argument(help: "The user name.") var name: String
    @Option(help: "A new role: viewer, engineer, operator, security-officer or admin.") var role: String?
    @Flag(help: "Disable the user: its sessions, tokens and MQTT connections end at once.") var disable = false
    @Flag(help: "Enable a disabled user.") var enable = false
    @Flag(help: "Delete the user.") var delete = false
    @Flag(name: .customLong("reset-password"), help: "Set a new password, read from standard input.") var resetPassword = false
    @Flag(name: .customLong("reset-totp"), help: "Remove the second factor (a lost phone): the user enrols again at the next login.")
    var resetTOTP = false
    @OptionGroup var target: AdminTarget

    func run() async throws {
        var changes: [AdminAccess.UserChange] = []
        if let text = self.role {
            guard let role = Role(rawValue: text), role != .device else {
                exitWithError(ValidationError("'\(text)' is not a role: viewer, engineer, operator, security-officer or admin"))
            }
            changes.append(.role(role))
        }
        if self.disable { changes.append(.disable) }
        if self.enable { changes.append(.enable) }
        if self.resetPassword { changes.append(.resetPassword(readLine(strippingNewline: true) ?? "")) }
        if self.resetTOTP { changes.append(.resetTOTP) }
        if self.delete { changes.append(.delete) }
        guard !changes.isEmpty, !(self.disable && self.enable) else {
            exitWithError(ValidationError("say what to change: --role, --disable, --enable, --delete, --reset-password or --reset-totp"))
        }
        let (access, _) = await self.target.open()
        do {
            for change in changes { try await access.changeUser(self.name, change) }
            print("user '\(self.name)' changed")
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard user tokens NAME`: a user's API tokens and sessions.
struct UserTokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokens", abstract: "List a user's API tokens and sessions (id, kind, name, role, expiry).")

    @Argument(help: "The user name.") var name: String
    @OptionGroup var target: AdminTarget

    func run() async throws {
        let (access, _) = await self.target.open()
        do {
            for line in try await access.tokens(of: self.name) { print(line) }
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard user revoke-token ID`: ends a session or revokes an API token (audited).
struct UserRevokeTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke-token", abstract: "Revoke an API token or end a session, by its id.")

    @Argument(help: "The token id (the part between 'tg_' and the second '_', or the id 'user tokens' lists).") var id: String
    @OptionGroup var target: AdminTarget

    func run() async throws {
        let (access, _) = await self.target.open()
        do {
            try await access.revokeToken(self.id)
            print("token '\(self.id)' revoked")
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard audit …`
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify or export the audit log.", subcommands: [AuditVerifyCommand.self, AuditExportCommand.self, AuditCheckpointCommand.self])
}

/// `twinguard audit verify`: exit status 0 when the chain is intact, 2 when not.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check the audit log's hash chain; names the first altered, deleted or reordered entry.")

    @Option(help: "A checkpoint exported earlier with 'audit checkpoint': the log must still contain it.") var anchor: String?
    @OptionGroup var target: AdminTarget

    func run() async throws {
        let (access, _) = await self.target.open()
        do {
            var anchorJSON: [UInt8]?
            if let anchor = self.anchor {
                guard let data = FileManager.default.contents(atPath: anchor) else {
                    exitWithError(ValidationError("cannot read the anchor file '\(anchor)'"))
                }
                anchorJSON = Array(data)
            }
            let (intact, finding) = try await access.verifyAudit(anchorJSON: anchorJSON)
            print(finding)
            if !intact { throw ExitCode(2) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard audit export [--out FILE]`: JSON lines, oldest first.
struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the audit log as JSON lines.")

    @Option(help: "The file to write (default: standard output).") var out: String?
    @OptionGroup var target: AdminTarget

    func run() async throws {
        let (access, _) = await self.target.open()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var output = Data()
        var after: Int64 = 0
        do {
            while true {
                let entries = try await access.auditEntries(after: after)
                guard let last = entries.last else { break }
                for entry in entries {
                    output.append(try encoder.encode(entry))
                    output.append(0x0a)
                }
                after = last.sequence
            }
            if let out = self.out {
                try output.write(to: URL(fileURLWithPath: out))
            } else {
                FileHandle.standardOutput.write(output)
            }
        } catch {
            exitWithError(error)
        }
    }
}

/// `twinguard audit checkpoint [--out FILE]`: the newest signed checkpoint, to keep on another machine or on
/// write-once storage; `audit verify --anchor FILE` later proves the log still contains what it vouched for.
struct AuditCheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Export the newest signed checkpoint of the audit log (an anchor to keep elsewhere).")

    @Option(help: "The file to write (default: standard output).") var out: String?
    @OptionGroup var target: AdminTarget

    func run() async throws {
        let (access, _) = await self.target.open()
        do {
            let checkpoint = try await access.latestAuditCheckpoint()
            if let out = self.out {
                try Data(checkpoint).write(to: URL(fileURLWithPath: out))
                chmod(out, 0o600)
            } else {
                FileHandle.standardOutput.write(Data(checkpoint + [0x0A]))
            }
        } catch {
            exitWithError(error)
        }
    }
}
