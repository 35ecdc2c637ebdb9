import Crypto
public import Logging
public import PacaConfig
public import PacaCore
public import PacaSystem

/// One call, or one refused connection, as the audit log records it.
public struct AuditEntry: Sendable {
    public enum Outcome: String, Sendable {
        case ok, denied, error
    }

    public var caller: Caller
    public var executable: String?
    /// Nil for a connection refused before it named a method.
    public var method: String?
    public var params: [String: JSONValue]?
    public var outcome: Outcome
    /// The error's code, for `denied` and `error`.
    public var code: Int?
    public var milliseconds: Double
    /// What the call did besides its outcome (a restore session's reads), for the line.
    public var details: [String: JSONValue] = [:]
}

/// `<state_dir>/audit.log`: one JSON line per call that reaches a method and per refused
/// connection, each carrying the SHA-256 of the line before it (`prev`) and a sequence number
/// (`seq`), so an edited, removed or reordered line breaks the chain where it is
/// (``verify()``). The file moves to `audit.log.1` (and `.1` to `.2`, up to `keep`) when it
/// reaches `rotate_at` bytes; the chain continues into the new file. Lines are written in the
/// order the calls end, one `write(2)` each, off the cooperative pool.
public actor AuditLog {
    public static let genesis = String(repeating: "0", count: 64)

    let directory: String
    private var settings: DaemonConfig.Audit
    private let clock: ServiceClock
    private let logger: Logger
    private let gate = SerialGate()
    private var fd: Int32 = -1
    private var size = 0
    private var lastHash = AuditLog.genesis
    private var lastSeq: Int64 = 0
    private var isOpened = false

    public var path: String { directory + "/audit.log" }

    public init(stateDirectory: String, settings: DaemonConfig.Audit, clock: ServiceClock, logger: Logger) {
        directory = stateDirectory
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Takes new rotation settings (a reload).
    public func apply(_ settings: DaemonConfig.Audit) { self.settings = settings }

    /// Appends `entry`. A log that cannot be written is reported in the journal, never to the
    /// caller: the call itself has already happened.
    public func record(_ entry: AuditEntry) async {
        await gate.run {
            if !isOpened { await open() }
            guard fd >= 0 else { return }
            var line: [String: JSONValue] = [
                "seq": .int(lastSeq + 1), "time": .string(CivilTime(unixSeconds: Int64(clock.now())).rfc3339),
                "uid": .int(Int64(entry.caller.uid)), "gid": .int(Int64(entry.caller.gid)), "pid": .int(Int64(entry.caller.pid)),
                "outcome": .string(entry.outcome.rawValue), "ms": .double((entry.milliseconds * 1000).rounded() / 1000),
                "prev": .string(lastHash), "method": entry.method.map(JSONValue.string) ?? .null,
                "user": ProcessFacts.userName(of: entry.caller.uid).map(JSONValue.string) ?? .null,
                "exe": entry.executable.map(JSONValue.string) ?? .null,
                "comm": entry.caller.command.map(JSONValue.string) ?? .null,
            ]
            if let params = entry.params {
                var kept: [String: JSONValue] = [:]
                for (key, value) in params {
                    // A record's contents (data.put, data.update) are the caller's data, not what they did.
                    kept[key] = key == "data" ? .string("[contents removed]") : Self.redacted(value, depth: 0, key: key)
                }
                line["params"] = .object(kept)
            }
            if let code = entry.code { line["code"] = .int(Int64(code)) }
            for (key, value) in entry.details { line[key] = value }
            let bytes = JSONValue.object(line).serialized
            let (fd, path) = (self.fd, self.path)
            let written = await BlockingPool.shared.run { () -> SystemError? in
                do throws(SystemError) { try Syscall.writeAll(fd, bytes + [0x0A], path: path) } catch { return error }
                return nil
            }
            if let written {
                logger.error("cannot write the audit log", metadata: ["audit.path": "\(path)", "error": "\(written.reason)"])
                return
            }
            lastHash = SHA256.hash(data: bytes).hexString
            lastSeq += 1
            size += bytes.count + 1
            if size >= settings.rotateAt { await rotate() }
        }
    }

    /// The entries matching `filter` (only those with a `seq` below `before`, when given), newest
    /// `limit`, oldest first, and the `seq` to page back from when older matching ones exist.
    public func entries(matching filter: Filter?, limit: Int, before: Int64? = nil) async -> (entries: [JSONValue], nextBefore: Int64?) {
        let files = await gate.run { self.files() }
        return await BlockingPool.shared.run {
            var found: [JSONValue] = []
            for file in files.reversed() {
                guard let bytes = try? DurableFile.read(file, limit: 1 << 30) else { continue }
                for line in bytes.split(separator: 0x0A).reversed() {
                    guard let value = try? JSONValue.parse(Array(line)) else { continue }
                    if let before, case .int(let seq)? = value["seq"], seq >= before { continue }
                    if let filter, !filter.matches(Record(id: "", data: value, type: .json, createdAt: 0, updatedAt: 0)) { continue }
                    // One more than the page: whether older matching lines exist.
                    if found.count == limit {
                        guard case .int(let oldest)? = found.last?["seq"] else { return (found.reversed(), nil) }
                        return (found.reversed(), oldest)
                    }
                    found.append(value)
                }
            }
            return (found.reversed(), nil)
        }
    }

    /// What ``verify()`` found.
    public struct Verification: Sendable, Equatable {
        public var lines = 0
        public var files: [String] = []
        /// The first bad line: its file, its line number there (from 1), and what is wrong.
        public var problem: (file: String, line: Int, message: String)?

        public static func == (a: Verification, b: Verification) -> Bool {
            a.lines == b.lines && a.files == b.files && a.problem?.file == b.problem?.file && a.problem?.line == b.problem?.line
                && a.problem?.message == b.problem?.message
        }
    }

    /// Walks the chain through every file, oldest first: each line must be JSON, follow the one
    /// before it (`seq` one more, `prev` its SHA-256), and the last must be the last this daemon
    /// wrote. Names the first line where that fails.
    public func verify() async -> Verification {
        let (files, lastHash, lastSeq) = await gate.run { (self.files(), self.lastHash, self.lastSeq) }
        return await BlockingPool.shared.run { Self.verify(files, expectedLast: lastSeq > 0 ? (lastHash, lastSeq) : nil) }
    }

    static func verify(_ files: [String], expectedLast: (hash: String, seq: Int64)?) -> Verification {
        var result = Verification(files: files.map { PathText.baseName($0) })
        var previous: (hash: String, seq: Int64, file: String, line: Int)?
        for file in files {
            let name = PathText.baseName(file)
            guard let bytes = try? DurableFile.read(file, limit: 1 << 30) else {
                result.problem = (name, 0, "cannot be read")
                return result
            }
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            for (index, line) in lines.enumerated() {
                let number = index + 1
                result.lines += 1
                guard case .object(let members)? = try? JSONValue.parse(Array(line)), case .int(let seq)? = members["seq"],
                    case .string(let prev)? = members["prev"]
                else {
                    result.problem = (name, number, "is not an audit line (edited, or cut short)")
                    return result
                }
                if let before = previous {
                    if seq <= before.seq {
                        result.problem = (name, number, "is out of order: seq \(seq) after seq \(before.seq)")
                        return result
                    }
                    if seq > before.seq + 1 {
                        result.problem = (name, number, "follows seq \(before.seq) with seq \(seq): the lines between were removed")
                        return result
                    }
                    if prev != before.hash {
                        result.problem = (
                            before.file, before.line, "was changed: the next line carries another SHA-256 for it"
                        )
                        return result
                    }
                } else if seq == 1 && prev != genesis {
                    result.problem = (name, number, "is the first line but does not start the chain")
                    return result
                }
                previous = (SHA256.hash(data: Array(line)).hexString, seq, name, number)
            }
        }
        if let expectedLast {
            guard let last = previous else {
                result.problem = ("audit.log", 0, "is empty, but pacad has written \(expectedLast.seq) lines: the log was removed")
                return result
            }
            if last.seq < expectedLast.seq {
                result.problem = (
                    last.file, last.line,
                    "is the last line, seq \(last.seq), but pacad wrote up to seq \(expectedLast.seq): lines at the end were removed"
                )
            } else if last.seq == expectedLast.seq && last.hash != expectedLast.hash {
                result.problem = (last.file, last.line, "was changed: it is not the last line pacad wrote")
            }
        }
        return result
    }

    /// The log's files, oldest first.
    private func files() -> [String] {
        var found: [String] = []
        for index in stride(from: settings.keep, through: 1, by: -1) where Syscall.exists(path + ".\(index)") {
            found.append(path + ".\(index)")
        }
        if Syscall.exists(path) { found.append(path) }
        return found
    }

    /// Opens the log for appending and finds where the chain stands: the last line of the
    /// newest file that has one.
    private func open() async {
        isOpened = true
        let (path, files) = (self.path, self.files())
        let opened = await BlockingPool.shared.run { () -> Result<(Int32, Int, String?, Int64), SystemError> in
            Result { () throws(SystemError) in
                let fd = try Syscall.open(path, .writeOnly, options: [.create, .append], permissions: 0o600)
                let size = Int(try Syscall.fstat(fd, path: path).size)
                for file in files.reversed() {
                    guard let bytes = try? DurableFile.read(file, limit: 1 << 30) else { continue }
                    var lines = bytes.split(separator: 0x0A)
                    if bytes.last != 0x0A, !lines.isEmpty, file == path {
                        // A line cut short by a crash: end it, so the next line starts clean (verify names it).
                        try Syscall.writeAll(fd, [0x0A], path: path)
                        lines.removeLast()
                    }
                    guard let last = lines.last else { continue }
                    let seq: Int64 =
                        if case .object(let members)? = try? JSONValue.parse(Array(last)), case .int(let seq)? = members["seq"] { seq } else
                        { 0 }
                    return (fd, size, SHA256.hash(data: Array(last)).hexString, seq)
                }
                return (fd, size, nil, 0)
            }
        }
        switch opened {
        case .success(let (fd, size, hash, seq)):
            self.fd = fd
            self.size = size
            if let hash {
                lastHash = hash
                lastSeq = seq
            }
        case .failure(let error):
            logger.error("cannot open the audit log", metadata: ["audit.path": "\(path)", "error": "\(error.reason)"])
        }
    }

    /// Moves `audit.log` to `audit.log.1` (and each older one up), dropping the oldest beyond
    /// `keep`, and opens a new `audit.log`; the chain goes on in it.
    private func rotate() async {
        let (fd, path, keep) = (self.fd, self.path, settings.keep)
        let reopened = await BlockingPool.shared.run { () -> Result<Int32, SystemError> in
            Result { () throws(SystemError) in
                try Syscall.fsync(fd, path: path)
                Syscall.close(fd)
                try? Syscall.unlink(path + ".\(keep)")
                for index in stride(from: keep - 1, through: 1, by: -1) where Syscall.exists(path + ".\(index)") {
                    try Syscall.rename(path + ".\(index)", to: path + ".\(index + 1)")
                }
                try Syscall.rename(path, to: path + ".1")
                return try Syscall.open(path, .writeOnly, options: [.create, .append, .exclusive], permissions: 0o600)
            }
        }
        switch reopened {
        case .success(let new):
            self.fd = new
            size = 0
        case .failure(let error):
            self.fd = -1
            logger.error("cannot rotate the audit log", metadata: ["audit.path": "\(path)", "error": "\(error.reason)"])
        }
    }

    /// Flushes the log to disk (at stop).
    public func sync() async {
        let (fd, path) = (self.fd, self.path)
        guard fd >= 0 else { return }
        await BlockingPool.shared.run { try? Syscall.fsync(fd, path: path) }
    }

    /// Keys whose values are never written: credentials, and records' contents.
    static let secretWords = ["secret", "password", "passphrase", "token", "credential", "private_key", "access_key"]

    /// `value` as the log keeps it: secrets removed, long strings and lists cut, deep nesting elided.
    static func redacted(_ value: JSONValue, depth: Int, key: String? = nil) -> JSONValue {
        if let key, secretWords.contains(where: { key.lowercased().contains($0) }) { return .string("[removed]") }
        switch value {
        case .string(let text) where text.utf8.count > 256:
            return .string(String(decoding: Array(text.utf8.prefix(256)), as: UTF8.self) + "…(\(text.utf8.count) bytes)")
        case .array(let items):
            guard depth < 4 else { return .string("[\(items.count) items]") }
            var kept = items.prefix(32).map { redacted($0, depth: depth + 1) }
            if items.count > 32 { kept.append(.string("…(\(items.count) items)")) }
            return .array(kept)
        case .object(let members):
            guard depth < 4 else { return .string("[object]") }
            var kept: [String: JSONValue] = [:]
            for (name, member) in members { kept[name] = redacted(member, depth: depth + 1, key: name) }
            return .object(kept)
        default:
            return value
        }
    }
}
