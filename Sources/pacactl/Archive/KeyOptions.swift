import ArgumentParser
import PacaAge
import PacaArchive
import PacaClient
import PacaSystem

/// `--identity FILE`: the age identities that open sealed archives. Read here, on the caller's
/// side; never sent to pacad, never printed.
struct IdentityOptions: ParsableArguments {
    @Option(
        name: .customLong("identity"),
        help: ArgumentHelp(
            "An age identity file (AGE-SECRET-KEY-1… lines, as age-keygen and pacactl key new write them) to open encrypted archives with. Repeatable.",
            valueName: "file"))
    var files: [String] = []

    @Option(
        name: .customLong("passphrase-file"),
        help: ArgumentHelp(
            "A file whose first line is the passphrase an archive was encrypted with (age -p, or a set's passphrase_file).",
            valueName: "file"))
    var passphraseFile: String?

    func identities() throws -> [AgeIdentity] {
        var identities: [AgeIdentity] = []
        if let passphraseFile {
            let text = try readKeyFile(passphraseFile, option: "--passphrase-file")
            let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.isEmpty else { throw fail("--passphrase-file \(passphraseFile): the first line is empty", .usage) }
            identities.append(.passphrase(line))
        }
        for file in files {
            let text = try readKeyFile(file, option: "--identity")
            do { identities += try AgeIdentity.parseFile(text, name: file) } catch {
                throw fail("--identity \(error.message)", .usage)
            }
        }
        return identities
    }
}

/// `--recipient` and `--recipients-file`: the public keys an archive is sealed to.
struct RecipientOptions: ParsableArguments {
    @Option(
        name: .customLong("recipient"),
        help: ArgumentHelp("Encrypt the archive with age to this public key (age1…). Repeatable.", valueName: "age1…"))
    var recipients: [String] = []

    @Option(
        name: .customLong("recipients-file"),
        help: ArgumentHelp("Encrypt to every public key in this file, one per line (as age -R reads them). Repeatable.", valueName: "file"))
    var recipientFiles: [String] = []

    func parsed() throws -> [AgeRecipient] {
        var parsed: [AgeRecipient] = []
        for text in recipients {
            do { parsed.append(try AgeRecipient.parse(text)) } catch { throw fail("--recipient: \(error.message)", .usage) }
        }
        for file in recipientFiles {
            let text = try readKeyFile(file, option: "--recipients-file")
            do { parsed += try AgeRecipient.parseFile(text, name: file) } catch {
                throw fail("--recipients-file \(error.message)", .usage)
            }
        }
        return parsed
    }
}

/// The archive at `path` to read, decrypted with `identities` when it is sealed with age; for a
/// sealed one without an identity, an error that names `--identity`.
func openArchive(_ path: String, identities: [AgeIdentity]) throws(ArchiveError) -> any ArchiveByteSource {
    let source = try FileByteSource(path: path)
    guard SealedByteSource.isSealed(source) else { return source }
    guard !identities.isEmpty else {
        throw ArchiveError(.invalidArgument, "\(path) is encrypted with age: give --identity FILE (an age identity file) to read it")
    }
    return try SealedByteSource(source, identities: identities)
}

/// The text of a key file named by `option` (at most 1 MiB).
private func readKeyFile(_ path: String, option: String) throws -> String {
    let bytes: [UInt8]?
    do { bytes = try DurableFile.read(path, limit: 1 << 20) } catch { throw fail("\(option) \(path): \(error.reason)", .usage) }
    guard let bytes else { throw fail("\(option) \(path): no such file", .notFound) }
    return String(decoding: bytes, as: UTF8.self)
}
