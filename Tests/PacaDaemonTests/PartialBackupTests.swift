import Foundation
import PacaProtocol
import PacaTestSupport
import Testing

/// A backup that could not read everything is `partial`: restorable, listed with what it
/// misses, shown by status, and `pacactl backup now` exits 1 for it.
@Suite struct PartialBackupTests {
    /// A file even root cannot open: sysfs refuses reads of a write-only attribute (EACCES).
    static let unreadable = "/sys/bus/pci/rescan"

    @Test func aBackupThatCouldNotReadEverythingIsPartial() async throws {
        try #require(FileManager.default.fileExists(atPath: Self.unreadable), "this test needs \(Self.unreadable) (sysfs)")
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("alpha\n".utf8))
        try daemon.writeConfig(sets: "  data:\n    paths: [\(daemon.source), \(Self.unreadable)]\n    targets: [local]")
        try await daemon.start()
        let now = try await daemon.pacactl(["backup", "now", "--reason", "partial"])
        #expect(now.status == 1, "\(now.stdout)\(now.stderr)")
        #expect(
            now.stdout.contains("partial") && now.stderr.contains("rescan") && now.stderr.contains("Permission denied"), "\(now.stderr)")
        let listed = try await daemon.pacactl(["backup", "list", "--json"])
        let backups = try #require(listed.json["backups"] as? [[String: Any]])
        let backup = try #require(backups.first)
        #expect(backup["status"] as? String == "partial")
        #expect((backup["unreadable"] as? [String])?.first?.contains("rescan") == true)
        let status = try await daemon.pacactl(["status"])
        #expect(status.stdout.contains("partial"), "\(status.stdout)")
        // Restorable: the files it has come back.
        let id = try #require(backup["id"] as? String)
        let restored = try await daemon.pacactl(["restore", id, "--to", daemon.root + "/restored"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(FileManager.default.contents(atPath: daemon.root + "/restored/source/a.txt") == Data("alpha\n".utf8))
        await daemon.stop()
    }
}
