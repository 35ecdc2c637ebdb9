import Foundation
import PacaTestSupport
import Testing

@testable import PacaArchive

@Suite struct ConsistencyTests {
    /// A log that grows while it is read is stored as a consistent prefix and reported as changed.
    @Test func growingFileIsStoredConsistentlyAndReported() throws {
        let temp = TemporaryFolder()
        var rng = SeededRandom(seed: 3)
        try Tree.write(temp.sub("src/train.log"), rng.text(8_000_000))
        let path = temp.sub("src/train.log")
        let stop = StopFlag()
        let appender = Thread {
            let handle = FileHandle(forWritingAtPath: path)!
            handle.seekToEndOfFile()
            var line = 0
            while !stop.isSet {
                handle.write(Data("step \(line) loss 0.25\n".utf8))
                line += 1
            }
            try? handle.close()
        }
        appender.start()
        defer { stop.set() }
        let result = try makeArchive([temp.sub("src")], at: temp.sub("out.zip"), pieceSize: 64 << 10, threads: 2)
        stop.set()
        #expect(result.changed == [path])
        #expect(result.errors.isEmpty)
        let verification = try ArchiveVerifier.verify(temp.sub("out.zip"))
        #expect(verification.problems == [])
    }
}

final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
