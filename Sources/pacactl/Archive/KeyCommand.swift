import ArgumentParser
import PacaAge
import PacaClient
import PacaCore
import PacaSystem

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Make age keys for encrypted backups.", subcommands: [KeyNewCommand.self])
}

struct KeyNewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Make an age identity: the private key that opens encrypted backups, and its public key.",
        discussion: """
            The identity file is what age-keygen writes; `age -d -i FILE` opens the archives too. \
            pacad needs only the public key (a set's encryption.recipients). Keep the identity offline: \
            whoever loses it loses every backup sealed only to it.
            """)

    @Option(
        help: ArgumentHelp(
            "Write the identity to this file (mode 0600; it must not exist yet) and print the public key.", valueName: "file"))
    var out: String?

    func run() throws {
        let identity = AgeIdentity.generate()
        guard let text = identity.fileText(created: CivilTime(unixSeconds: Int64(SystemTime.realtime())).rfc3339),
            let recipient = identity.recipient?.text
        else { throw fail("could not make a key", .failed) }
        guard let out else {
            print(text, terminator: "")
            StandardStreams.writeError("Public key: \(recipient)\n")
            return
        }
        do {
            let fd = try Syscall.open(out, .writeOnly, options: [.create, .exclusive, .noFollow], permissions: 0o600)
            defer { Syscall.close(fd) }
            try Syscall.writeAll(fd, Array(text.utf8), path: out)
            try Syscall.fsync(fd, path: out)
        } catch {
            throw fail("cannot write \(out): \(error.reason)", error.isNotFound ? .notFound : .failed)
        }
        print(recipient)
        StandardStreams.writeError(
            "pacactl: wrote the identity to \(out). Store a copy offline (a password manager, paper): without it the backups sealed only to \(recipient) cannot be read.\n"
        )
    }
}
