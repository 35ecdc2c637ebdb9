import Foundation
import PacaProtocol
import PacaTestSupport
import Testing

@Suite struct PruneDaemonTests {
    /// Retention, pinning and prune through pacactl, on a daemon whose clock the test moves a
    /// second between backups (backup ids order by the second). Full backups, so each stands alone.
    @Test func retentionPinAndPruneThroughPacactl() async throws {
        let daemon = try InProcessDaemon()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.writeConfig(
            sets: "  data:\n    paths: [\(daemon.source)]\n    targets: [local]\n    incremental: false\n    retention: {keep_last: 1}")
        try await daemon.run { _ in
            func backup() async throws -> String {
                let made = try await daemon.pacactl(["backup", "now", "--json"])
                #expect(made.status == 0, "\(made.stderr)")
                daemon.clock.advance(by: .seconds(1))
                return made.json["id"] as? String ?? ""
            }
            let first = try await backup()
            let pinned = try await daemon.pacactl(["backup", "pin", first])
            #expect(pinned.status == 0 && pinned.stdout.contains("pinned"), "\(pinned.stderr)")
            let second = try await backup()
            let third = try await backup()
            // After each backup pacad prunes: the pinned one and the newest stay.
            await eventually("pruning down to two backups") { (try? await daemon.call(Methods.backupList).backups.count) == 2 }
            #expect(try await daemon.call(Methods.backupList).backups.map(\.id) == [first, third], "second was \(second)")
            #expect(!FileManager.default.fileExists(atPath: daemon.target + "/data/\(second).zip"))

            let dry = try await daemon.pacactl(["prune", "--dry-run", "--json"])
            #expect(dry.status == 0)
            #expect((dry.json["removed"] as? [Any])?.isEmpty == true)
            #expect(((dry.json["kept"] as? [[String: Any]]) ?? []).compactMap { $0["reasons"] as? [String] }.contains(["pinned"]))
            let unpinned = try await daemon.pacactl(["backup", "pin", first, "--unpin"])
            #expect(unpinned.status == 0)
            let table = try await daemon.pacactl(["prune", "--dry-run"])
            #expect(table.stdout.contains(first) && table.stdout.contains("would be removed"), "\(table.stdout)")
            #expect(FileManager.default.fileExists(atPath: daemon.target + "/data/\(first).zip"))
            let done = try await daemon.pacactl(["prune"])
            #expect(done.status == 0 && done.stdout.contains("1 backup copy removed"), "\(done.stdout)")
            #expect(!FileManager.default.fileExists(atPath: daemon.target + "/data/\(first).zip"))
            let unknown = try await daemon.pacactl(["prune", "--set", "nope"])
            #expect(unknown.status == 4)
        }
    }
}
