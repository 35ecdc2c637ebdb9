import Foundation
import PacaSystem
import PacaTestSupport
import Testing

/// `make reliability` in miniature (docs/reliability.md): the same fuzzers, faults and kill -9
/// runs with fewer inputs and runs, against the real pacad and pacactl. Fails when any row lost
/// something or a run did not survive.
@Suite struct ReliabilitySuiteTests {
    @Test(.timeLimit(.minutes(15))) func theQuickSuiteLosesNothing() async throws {
        let temp = TemporaryFolder()
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let command = [
            Binaries.pacareliability, "--quick", "--work", temp.sub("work"), "--s3-proxy-script",
            repository.appendingPathComponent("packaging/testing/s3-fault-proxy.py").path,
        ]
        // The S3 row runs against the SeaweedFS `make test` started (and fails without it when required).
        let s3 = ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("PACA_TEST_S3_") || $0.key == "PACA_REQUIRE_S3" }
        let output = try await SystemThread.run { Result { try run(command, environment: s3) } }.get()
        #expect(output.status == 0, "pacareliability --quick:\n\(output.stdout)\n\(output.stderr)")
        #expect(output.stdout.contains("nothing lost, 0 of"), "\(output.stdout)")
        let rows = [
            "frames", "json", "query", "cron", "zip", "EIO reading sources", "ENOSPC writing a target", "EIO reading archives",
            "target removed mid-backup", "S3 500/503 bursts", "backup", "prune", "scrub", "rebuild", "20,000 files",
        ]
        for row in rows {
            #expect(output.stdout.contains("| \(row) |"), "no \(row) row in:\n\(output.stdout)")
        }
    }
}
