import Foundation
import PacaTestSupport
import Testing

/// `pacactl scrub` through a real daemon: a good pass, a damaged copy with no other copy left
/// (the backup becomes damaged and status names the lost file), and an unknown target.
@Suite struct ScrubDaemonTests {
    @Test func aScrubFindsDamageAndStatusNamesTheLostFiles() async throws {
        let daemon = try DaemonHarness()
        daemon.write("model.bin", noise(300_000))
        daemon.write("conf/a.yaml", Array("lr: 1\n".utf8))
        try await daemon.start()
        #expect(try await daemon.pacactl(["backup", "now"]).status == 0)
        let good = try await daemon.pacactl(["scrub", "--wait"])
        #expect(good.status == 0 && good.stdout.contains("local: 1 good, 0 damaged"), "\(good.stdout)\(good.stderr)")
        let status = try await daemon.pacactl(["status"])
        #expect(status.stdout.contains("(scrub every 30 days)"), "\(status.stdout)")

        let archive = try #require(
            FileManager.default.enumerator(atPath: daemon.target)?.allObjects.compactMap { $0 as? String }.first { $0.hasSuffix(".zip") })
        let path = daemon.target + "/" + archive
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))

        let bad = try await daemon.pacactl(["scrub", "--wait", "--target", "local"])
        #expect(bad.status == 1, "\(bad.stdout)\(bad.stderr)")
        #expect(bad.stdout.contains("1 damaged") && bad.stdout.contains("(LOST)") && bad.stdout.contains("model.bin"), "\(bad.stdout)")
        let after = try await daemon.pacactl(["status"])
        #expect(after.stdout.contains("DAMAGED") && after.stdout.contains("lost: source/model.bin"), "\(after.stdout)")
        let listed = try await daemon.pacactl(["backup", "list", "--json"])
        #expect(listed.stdout.contains("\"status\":\"damaged\""), "\(listed.stdout)")

        #expect(try await daemon.pacactl(["scrub", "--target", "nowhere"]).status == 4)
        let started = try await daemon.pacactl(["scrub"])
        #expect(started.status == 0 && started.stdout.contains("scrub started on local"), "\(started.stdout)")
        await daemon.stop()
    }
}
