import Foundation
import Testing

@Suite struct PruneDaemonTests {
    @Test func retentionPinAndPruneThroughPacactl() throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("hello".utf8))
        try daemon.writeConfig(
            sets: "  data:\n    paths: [\(daemon.source)]\n    targets: [local]\n    retention: {keep_last: 1}")
        try daemon.start()
        func backup() throws -> String {
            let made = try daemon.pacactl(["backup", "now", "--json"])
            #expect(made.status == 0, "\(made.stderr)")
            usleep(1_100_000)  // backup ids order by the second
            return made.json["id"] as? String ?? ""
        }
        let first = try backup()
        let pinned = try daemon.pacactl(["backup", "pin", first])
        #expect(pinned.status == 0 && pinned.stdout.contains("pinned"), "\(pinned.stderr)")
        let second = try backup()
        let third = try backup()
        // After each backup pacad prunes: the pinned one and the newest stay.
        var ids: [String] = []
        for _ in 0..<100 {
            ids = ((try daemon.rpc("backup.list")["result"] as? [String: Any])?["backups"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            if ids.count == 2 { break }
            usleep(50_000)
        }
        #expect(ids == [first, third], "second was \(second)")
        #expect(!FileManager.default.fileExists(atPath: daemon.target + "/data/\(second).zip"))

        let dry = try daemon.pacactl(["prune", "--dry-run", "--json"])
        #expect(dry.status == 0)
        #expect((dry.json["removed"] as? [Any])?.isEmpty == true)
        #expect(((dry.json["kept"] as? [[String: Any]]) ?? []).compactMap { $0["reasons"] as? [String] }.contains(["pinned"]))
        let unpinned = try daemon.pacactl(["backup", "pin", first, "--unpin"])
        #expect(unpinned.status == 0)
        let table = try daemon.pacactl(["prune", "--dry-run"])
        #expect(table.stdout.contains(first) && table.stdout.contains("would be removed"), "\(table.stdout)")
        #expect(FileManager.default.fileExists(atPath: daemon.target + "/data/\(first).zip"))
        let done = try daemon.pacactl(["prune"])
        #expect(done.status == 0 && done.stdout.contains("1 backup copy removed"), "\(done.stdout)")
        #expect(!FileManager.default.fileExists(atPath: daemon.target + "/data/\(first).zip"))
        #expect(try daemon.pacactl(["prune", "--set", "nope"]).status == 4)
        daemon.stop()
    }
}
