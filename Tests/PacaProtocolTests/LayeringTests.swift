import Foundation
import Testing

@testable import PacaProtocol

/// The seams the code relies on, checked over the sources so they do not erode: the protocol's
/// names live in PacaProtocol, system calls in PacaSystem, waits go through an injected clock.
@Suite struct LayeringTests {
    static let sources = OpenRPCTests.repository.appendingPathComponent("Sources")

    /// Every Swift file under Sources, by path relative to it, with its text.
    static func files() throws -> [(path: String, text: String)] {
        let manager = FileManager.default
        return try (manager.enumerator(atPath: sources.path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".swift") }.sorted()
            .map { ($0, try String(contentsOf: sources.appendingPathComponent($0), encoding: .utf8)) }
    }

    @Test func methodNamesAreSpelledOnlyInTheContract() throws {
        for (path, text) in try Self.files() where !path.hasPrefix("PacaProtocol/") {
            for method in Methods.all {
                #expect(!text.contains("\"\(method.name)\""), "\(path) spells \"\(method.name)\"; use Methods")
            }
        }
    }

    @Test func systemCallsGoThroughPacaSystem() throws {
        let forbidden = ["import Glibc", "canImport(Glibc)", "strerror(", "DispatchQueue(label", "Task.sleep("]
        for (path, text) in try Self.files() where !path.hasPrefix("PacaSystem/") {
            for word in forbidden {
                #expect(!text.contains(word), "\(path) uses \(word); go through PacaSystem (Syscall, BlockingPool, ServiceClock)")
            }
        }
    }

    @Test func theEngineStaysSmall() throws {
        let lines = try Self.files().filter { $0.path.hasPrefix("PacaEngine/") }.map {
            $0.text.split(separator: "\n", omittingEmptySubsequences: false).count
        }
        #expect(lines.reduce(0, +) < 2_500, "PacaEngine has \(lines.reduce(0, +)) lines")
    }
}
