import PacaAge
import PacaSystem
import Yams

extension NodeReader {
    /// `encryption:` of a set: `recipients` (a list of `age1…` keys) and `recipients_file` (one
    /// per line, as `age -R` reads it), or `passphrase_file` alone (age's scrypt recipient, which
    /// must be a file's only one). Files are read now, so `--check-config` finds what is wrong.
    /// No message quotes a passphrase.
    mutating func encryptionSettings(_ values: [String: Node], at key: String, into set: inout DaemonConfig.BackupSet) {
        guard let node = values["encryption"] else { return }
        let at = "\(key).encryption"
        guard let fields = mapping(node, at: at, allowed: ["recipients", "recipients_file", "passphrase_file"]) else { return }
        let settings = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        var recipients: [AgeRecipient] = []
        var isValid = true
        if let list = settings["recipients"] {
            for (index, text) in strings(list, at: "\(at).recipients").enumerated() {
                do { recipients.append(try AgeRecipient.parse(text)) } catch {
                    report("\(at).recipients[\(index)]", list, error.message)
                    isValid = false
                }
            }
            if list.sequence?.isEmpty == true { report("\(at).recipients", list, "the list is empty") }
        }
        if let file = settings["recipients_file"] {
            if let path = absolutePath(file, at: "\(at).recipients_file"), let text = keyFile(path, at: "\(at).recipients_file", file) {
                do { recipients += try AgeRecipient.parseFile(text, name: path) } catch {
                    report("\(at).recipients_file", file, error.message)
                    isValid = false
                }
            } else {
                isValid = false
            }
        }
        if let file = settings["passphrase_file"] {
            guard settings["recipients"] == nil && settings["recipients_file"] == nil else {
                report(
                    "\(at).passphrase_file", file,
                    "a passphrase must be an archive's only recipient (age's rule): use passphrase_file or recipients, not both")
                return
            }
            guard let path = absolutePath(file, at: "\(at).passphrase_file"), let text = keyFile(path, at: "\(at).passphrase_file", file)
            else { return }
            // What `echo secret > file` writes: the line, without its newline.
            let passphrase = text.hasSuffix("\n") ? String(text.dropLast()) : text
            guard !passphrase.isEmpty else {
                report("\(at).passphrase_file", file, "\(path) is empty: write the passphrase on its first line")
                return
            }
            recipients = [.passphrase(passphrase, workFactor: AgeRecipient.defaultWorkFactor)]
        }
        guard isValid else { return }
        guard !recipients.isEmpty else {
            report(at, node, "names no recipient: give recipients, recipients_file or passphrase_file")
            return
        }
        set.encryption = DaemonConfig.BackupSet.Encryption(recipients: recipients)
    }

    /// The text of a recipients or passphrase file, which must not be writable by others (whoever
    /// can change it decides who can read the backups) and, for a passphrase, not readable either.
    private mutating func keyFile(_ path: String, at key: String, _ node: Node) -> String? {
        let info: FileInfo
        do { info = try Syscall.stat(path) } catch {
            report(key, node, "cannot read \(path): \(error.reason)")
            return nil
        }
        guard info.kind == .regular else {
            report(key, node, "\(path) is not a regular file")
            return nil
        }
        if info.permissions & 0o022 != 0 {
            report(key, node, "\(path) can be changed by other users (mode \(String(info.permissions, radix: 8))): chmod go-w it")
            return nil
        }
        if key.hasSuffix("passphrase_file") && info.permissions & 0o004 != 0 {
            report(key, node, "\(path) can be read by every user (mode \(String(info.permissions, radix: 8))): chmod 600 it")
            return nil
        }
        let bytes: [UInt8]?
        do { bytes = try DurableFile.read(path, limit: 1 << 20) } catch {
            report(key, node, "cannot read \(path): \(error.reason)")
            return nil
        }
        guard let bytes, let text = String(validating: bytes, as: UTF8.self) else {
            report(key, node, "\(path) is not UTF-8 text")
            return nil
        }
        return text
    }
}
