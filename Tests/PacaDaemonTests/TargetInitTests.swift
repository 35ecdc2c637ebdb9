import Foundation
import PacaTestSupport
import Testing

/// pacactl's side of target identity: an empty folder where the target's disk was is refused
/// with a question, status shows it, and `pacactl target init` adopts a folder on purpose.
@Suite struct TargetInitTests {
    @Test func anUnmountedTargetIsRefusedUntilInitialized() async throws {
        let daemon = try DaemonHarness()
        daemon.write("a.txt", Array("alpha\n".utf8))
        try await daemon.start()
        #expect(try await daemon.pacactl(["backup", "now"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: daemon.target + "/.paca-target"))

        // The disk goes; an empty folder stays.
        try FileManager.default.moveItem(atPath: daemon.target, toPath: daemon.root + "/disk")
        try FileManager.default.createDirectory(atPath: daemon.target, withIntermediateDirectories: false)
        let refused = try await daemon.pacactl(["backup", "now"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains("is its disk mounted?") && refused.stderr.contains("pacactl target init local"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: daemon.target).isEmpty)
        let status = try await daemon.pacactl(["status"])
        #expect(status.stdout.contains("mounted"), "\(status.stdout)")

        // An operator says this empty folder is the target now.
        let initialized = try await daemon.pacactl(["target", "init", "local"])
        #expect(initialized.status == 0 && initialized.stdout.contains("adopted"), "\(initialized.stdout)\(initialized.stderr)")
        #expect(try await daemon.pacactl(["backup", "now"]).status == 0)
        #expect(try await daemon.pacactl(["target", "init", "nowhere"]).status == 4)
        await daemon.stop()
    }
}
