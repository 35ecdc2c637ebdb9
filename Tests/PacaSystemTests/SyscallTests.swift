import Foundation
import PacaTestSupport
import Testing

@testable import PacaSystem

@Suite struct SyscallTests {
    @Test func failuresNameTheOperationThePathAndTheErrno() throws {
        let folder = TemporaryFolder()
        #expect {
            _ = try Syscall.open(folder.sub("missing"), .readOnly)
        } throws: { error in
            guard let error = error as? SystemError else { return false }
            return error.operation == "open" && error.path == folder.sub("missing") && error.name == "ENOENT" && error.isNotFound
                && error.description == "open \(folder.sub("missing")): No such file or directory"
        }
        folder.write("file", [1])
        #expect(throws: SystemError("mkdir", path: folder.sub("file/sub"), errno: ENOTDIR)) {
            try DurableFile.makeDirectories(folder.sub("file/sub"))
        }
        #expect(SystemError("x", path: nil, errno: 99_999).name == "errno 99999")
    }

    /// Names are bytes: a Latin-1 name (not UTF-8) is created, listed and read back unchanged,
    /// and shown escaped.
    @Test func namesThatAreNotUTF8PassThroughUnchanged() throws {
        let folder = TemporaryFolder()
        let name: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".txt".utf8)
        let path = SystemPath(folder.path).appending(name)
        let fd = try Syscall.open(path, .writeOnly, options: [.create, .exclusive], permissions: 0o644)
        try Syscall.writeAll(fd, Array("bonjour".utf8), path: path)
        Syscall.close(fd)
        let entries = try Syscall.entries(of: folder.path)
        #expect(entries.map(\.name) == [name])
        #expect(entries.first?.kind == .regular && entries.first?.nameText == nil)
        #expect(try DurableFile.read(path) == Array("bonjour".utf8))
        #expect(path.description == folder.path + "/caf\\xe9.txt")
        #expect(SystemPath.display(Array("a\nb".utf8)) == "a\\nb")
        #expect(SystemPath.display(Array("서울".utf8)) == "서울")
    }

    @Test func aReplacementIsWholeAndLeavesNoTemporaryFile() throws {
        let folder = TemporaryFolder()
        let path = folder.sub("state.json")
        try DurableFile.replace(path, with: Array("one".utf8))
        try DurableFile.replace(path, with: Array("two".utf8), permissions: 0o640)
        #expect(try DurableFile.read(path) == Array("two".utf8))
        #expect(try Syscall.stat(path).permissions == 0o640)
        #expect(Files.names(in: folder.path) == ["state.json"])
        #expect(try DurableFile.read(folder.sub("none")) == nil)
        #expect(throws: SystemError.self) { try DurableFile.read(path, limit: 2) }
    }
}

@Suite struct BlockingPoolTests {
    /// However much work is handed in, at most `threads` of it runs at once.
    @Test func aPoolRunsAtMostItsThreadsAtOnce() async {
        let pool = BlockingPool(threads: 3)
        let counter = ConcurrencyCounter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    await pool.run {
                        counter.enter()
                        usleep(2_000)
                        counter.leave()
                    }
                }
            }
        }
        #expect(counter.highest <= 3)
        #expect(counter.highest >= 1)
    }

    @Test func typedErrorsComeBackTyped() async {
        await #expect(throws: SystemError.self) {
            try await BlockingPool.shared.run { () throws(SystemError) in _ = try Syscall.stat("/nonexistent/paca") }
        }
    }
}

/// Counts how many threads are inside at once, and the most there ever were.
final class ConcurrencyCounter: @unchecked Sendable {
    private let lock = ConditionLock()
    private var inside = 0
    private(set) var highest = 0

    func enter() {
        lock.withLock {
            inside += 1
            highest = max(highest, inside)
        }
    }

    func leave() { lock.withLock { inside -= 1 } }
}

/// The reliability suite's fault plans (PACA_FAULT_INJECTION, read by debug builds only).
@Suite struct FaultInjectionTests {
    @Test func rulesParseAndBadOnesAreLeftOut() {
        let rules = FaultInjection.parse("read,pread:EIO:/data/:100:1;write:ENOSPC:/t1/:0:0;bogus;open:28:/x:1:2;read:EWHAT:/y:0:0")
        #expect(
            rules == [
                FaultInjection.Rule(operations: ["read", "pread"], errno: EIO, path: "/data/", skip: 100, count: 1),
                FaultInjection.Rule(operations: ["write"], errno: ENOSPC, path: "/t1/", skip: 0, count: 0),
                FaultInjection.Rule(operations: ["open"], errno: 28, path: "/x", skip: 1, count: 2),
            ])
    }

    @Test func withoutAPlanNothingFails() throws {
        // The test process has no PACA_FAULT_INJECTION: every call goes through.
        #expect(FaultInjection.failure("read", "/anything") == nil)
        let temp = TemporaryFolder()
        let fd = try Syscall.open(temp.sub("f"), .writeOnly, options: [.create], permissions: 0o600)
        defer { Syscall.close(fd) }
        try Syscall.writeAll(fd, [1, 2, 3], path: temp.sub("f"))
    }
}
