import Foundation
import Logging
import PacaConfig
import PacaCore
import PacaProtocol
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaDaemon

/// The audit log: one line per call, a hash chain that finds an edited, removed or reordered
/// line (rotation included), and what pacad writes for real callers.
@Suite(.serialized) struct AuditLogTests {
    static func log(_ folder: TemporaryFolder, rotateAt: Int = 16 << 20) -> AuditLog {
        AuditLog(
            stateDirectory: folder.path, settings: DaemonConfig.Audit(rotateAt: rotateAt, keep: 8), clock: .system,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static func entry(_ method: String, uid: UInt32 = 1001, outcome: AuditEntry.Outcome = .ok, params: [String: JSONValue] = [:])
        -> AuditEntry
    {
        AuditEntry(
            caller: Caller(uid: uid, gid: uid, pid: 42), executable: "/usr/bin/pacactl", method: method, params: params, outcome: outcome,
            code: outcome == .ok ? nil : RPCErrorCode.permissionDenied.rawValue, milliseconds: 1.5)
    }

    /// Rewrites line `number` (from 1) of `file` in place with `change`.
    static func edit(_ file: String, _ change: (inout [String]) -> Void) throws {
        var lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
        if lines.last == "" { lines.removeLast() }
        change(&lines)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
        try handle.close()
    }

    @Test func linesArePagedBackFromTheNewest() async throws {
        let folder = TemporaryFolder()
        // Small files (kept: 8): the pages cross rotations.
        let log = Self.log(folder, rotateAt: 16384)
        for index in 0..<250 { await log.record(Self.entry(index % 5 == 0 ? "backup.delete" : "daemon.status")) }
        var seqs: [Int64] = []
        var before: Int64?
        var pages = 0
        repeat {
            let page = await log.entries(matching: nil, limit: 100, before: before)
            seqs = page.entries.compactMap { if case .int(let seq)? = $0["seq"] { seq } else { nil } } + seqs
            before = page.nextBefore
            pages += 1
        } while before != nil
        #expect(pages == 3)
        #expect(seqs == Array(1...250), "every line once, oldest first")
        let deletes = await log.entries(matching: try QueryText.parse(#"method = "backup.delete""#), limit: 40)
        #expect(deletes.entries.count == 40 && deletes.nextBefore != nil)
        let rest = await log.entries(matching: try QueryText.parse(#"method = "backup.delete""#), limit: 40, before: deletes.nextBefore)
        #expect(rest.entries.count == 10 && rest.nextBefore == nil)
    }

    @Test func aChainOfLinesVerifiesAndSecretsStayOut() async throws {
        let folder = TemporaryFolder()
        let log = Self.log(folder)
        for method in ["daemon.status", "backup.create", "backup.delete"] { await log.record(Self.entry(method)) }
        await log.record(
            Self.entry(
                "data.put", params: ["store": "app", "data": ["name": "Kim Minji", "ssn": "900101-1234567"], "api_token": "s3cr3t"]))
        await log.record(Self.entry("backup.create", params: ["reason": .string(String(repeating: "x", count: 20_000))]))
        let verification = await log.verify()
        #expect(verification.problem == nil && verification.lines == 5)
        let text = try String(contentsOfFile: folder.sub("audit.log"), encoding: .utf8)
        #expect(!text.contains("900101-1234567") && !text.contains("Kim Minji") && !text.contains("s3cr3t"))
        #expect(text.contains("[contents removed]") && text.contains("(20000 bytes)"))
        #expect(text.utf8.count < 5000, "a 20,000-character reason is cut")
        let denied = await log.entries(matching: try QueryText.parse(#"method = "backup.delete""#), limit: 10)
        #expect(denied.entries.count == 1 && denied.nextBefore == nil)
        // A new AuditLog on the same folder (a restart) continues the chain.
        let again = Self.log(folder)
        await again.record(Self.entry("daemon.reload"))
        #expect(await again.verify().problem == nil)
        #expect(await again.verify().lines == 6)
    }

    @Test(arguments: ["edit", "remove", "reorder", "edit-last", "remove-last"])
    func tamperingIsFoundAtTheLineItHappened(how: String) async throws {
        let folder = TemporaryFolder()
        let log = Self.log(folder)
        for index in 0..<6 { await log.record(Self.entry("backup.create", uid: 1000 + UInt32(index))) }
        try Self.edit(folder.sub("audit.log")) { lines in
            switch how {
            case "edit": lines[2] = lines[2].replacingOccurrences(of: "\"uid\":1002", with: "\"uid\":0")
            case "remove": lines.remove(at: 2)
            case "reorder": lines.swapAt(2, 3)
            case "edit-last": lines[5] = lines[5].replacingOccurrences(of: "\"uid\":1005", with: "\"uid\":0")
            default: lines.removeLast()
            }
        }
        let problem = try #require(await log.verify().problem, "\(how) was not found")
        #expect(problem.file == "audit.log")
        switch how {
        case "edit": #expect(problem.line == 3 && problem.message.contains("was changed"))
        case "remove": #expect(problem.line == 3 && problem.message.contains("removed"))
        case "reorder": #expect(problem.line == 3 && (problem.message.contains("out of order") || problem.message.contains("removed")))
        case "edit-last": #expect(problem.line == 6 && problem.message.contains("changed"))
        default: #expect(problem.line == 5 && problem.message.contains("removed"))
        }
    }

    @Test func rotationContinuesTheChainIntoTheNextFile() async throws {
        let folder = TemporaryFolder()
        let log = Self.log(folder, rotateAt: 4096)
        for index in 0..<60 { await log.record(Self.entry("backup.list", uid: 1000 + UInt32(index))) }
        let verification = await log.verify()
        #expect(verification.problem == nil, "\(String(describing: verification.problem))")
        #expect(verification.lines == 60)
        #expect(verification.files.count >= 3 && verification.files.first?.hasPrefix("audit.log.") == true)
        #expect(verification.files.last == "audit.log")
        #expect(await log.entries(matching: nil, limit: 1000).entries.count == 60, "queries read every file")
        // An edit in a rotated file is found there.
        try Self.edit(folder.sub("audit.log.1")) { lines in lines[0] = lines[0].replacingOccurrences(of: "backup.list", with: "backup.lisT")
        }
        let problem = try #require(await log.verify().problem)
        #expect(problem.file == "audit.log.1" && problem.line == 1, "\(problem)")
    }

    /// The daemon writes a line for every call and for a refused connection, and pacactl reads
    /// and checks the log.
    @Test(.enabled(if: PeerCredentialTests.canSwitchUser)) func pacadRecordsCallsAndRefusals() async throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("alpha\n".utf8))
        try await daemon.start()
        chmod(daemon.socket, 0o666)
        #expect(try await daemon.pacactl(["backup", "now", "--reason", "audited"]).status == 0)
        let stranger = try await daemon.pacactl(
            ["status"], prefix: ["/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"])
        #expect(stranger.status == 5)
        let denied = try await daemon.pacactl(["audit", "--where", #"outcome = "denied""#, "--json"])
        #expect(denied.status == 0, "\(denied.stderr)")
        let lines = try #require(denied.json["entries"] as? [[String: Any]])
        #expect(lines.count == 1)
        #expect(lines.first?["uid"] as? Int == 65534 && lines.first?["method"] as? String == "daemon.status")
        #expect(lines.first?["exe"] as? String == Binaries.pacactl)
        #expect(lines.first?["comm"] as? String == "pacactl")
        let all = try await daemon.pacactl(["audit"])
        #expect(all.stdout.contains("backup.create") && all.stdout.contains("root"), "\(all.stdout)")
        let intact = try await daemon.pacactl(["audit", "verify"])
        #expect(intact.status == 0 && intact.stdout.contains("audit log intact"), "\(intact.stdout)\(intact.stderr)")
        try Self.edit(daemon.root + "/state/audit.log") { lines in
            lines[0] = lines[0].replacingOccurrences(of: "\"uid\":0", with: "\"uid\":7")
        }
        let broken = try await daemon.pacactl(["audit", "verify"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("audit.log line 1 was changed"), "\(broken.stderr)")
        await daemon.stop()
    }
}
