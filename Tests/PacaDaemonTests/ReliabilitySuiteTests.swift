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
        let command = [Binaries.pacareliability, "--quick", "--work", temp.sub("work")]
        let output = try await SystemThread.run { Result { try run(command) } }.get()
        #expect(output.status == 0, "pacareliability --quick:\n\(output.stdout)\n\(output.stderr)")
        #expect(output.stdout.contains("nothing lost, 0 of"), "\(output.stdout)")
        for row in ["frames", "json", "query", "cron", "zip", "backup", "prune", "scrub", "rebuild"] {
            #expect(output.stdout.contains("| \(row) |"), "no \(row) row in:\n\(output.stdout)")
        }
    }
}
