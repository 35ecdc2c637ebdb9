import Foundation
import PacaCapture
import PacaSystem
import PacaTestSupport
import Testing

/// The stable copy a capture takes: laid out as the set path holds it, owners, modes and times
/// kept, each file linked (or copied) so that deleting the checkpoint loses nothing.
@Suite struct CheckpointStagerTests {
    func checkpoint(in folder: TemporaryFolder, _ name: String = "run/checkpoint-5") {
        folder.write("set/\(name)/model.safetensors", Array(repeating: 7, count: 100_000), mode: 0o640, mtime: 1_700_000_000)
        folder.write("set/\(name)/trainer_state.json", #"{"global_step": 5}"#, mode: 0o644, mtime: 1_700_000_100)
        chmod(folder.sub("set/\(name)"), 0o750)
    }

    @Test func aCheckpointIsLinkedUnderTheSetPathsNameAndSurvivesItsDeletion() throws {
        let folder = TemporaryFolder()
        checkpoint(in: folder)
        let (root, names) = try CheckpointStager.locate(folder.sub("set/run/checkpoint-5"), in: [folder.sub("set")])
        #expect(root == folder.sub("set") && names == ["run", "checkpoint-5"])
        let staged = try CheckpointStager.stage(root: root, names: names, into: folder.sub("capture"), copy: false)
        #expect(staged.source == folder.sub("capture/set"))
        #expect(staged.files == 2 && staged.bytes == 100_000 + 18 && staged.linked == 2 && staged.method == "hardlink")
        let copy = folder.sub("capture/set/run/checkpoint-5")
        let original = try Syscall.lstat(folder.sub("set/run/checkpoint-5/model.safetensors"))
        let linked = try Syscall.lstat(copy + "/model.safetensors")
        #expect(linked.isSameFile(as: original))
        #expect(try Syscall.lstat(copy).permissions == 0o750)
        #expect(try Syscall.lstat(copy + "/trainer_state.json").modified.seconds == 1_700_000_100)
        // Nothing else of the set is in the copy.
        #expect(try Syscall.entries(of: folder.sub("capture/set/run")).compactMap(\.nameText) == ["checkpoint-5"])
        try FileManager.default.removeItem(atPath: folder.sub("set/run/checkpoint-5"))
        #expect(folder.read("capture/set/run/checkpoint-5/model.safetensors") == Array(repeating: 7, count: 100_000))
        #expect(staged.rewritten().isEmpty)
        staged.remove()
        #expect(!Syscall.exists(folder.sub("capture")))
    }

    @Test func copyMakesPrivateCopiesThatLaterWritesDoNotReach() throws {
        let folder = TemporaryFolder()
        checkpoint(in: folder, "last")
        let staged = try CheckpointStager.stage(root: folder.sub("set"), names: ["last"], into: folder.sub("capture"), copy: true)
        #expect(staged.linked == 0 && staged.copied + staged.reflinked == 2)
        let copied = try Syscall.lstat(folder.sub("capture/set/last/model.safetensors"))
        #expect(!copied.isSameFile(as: try Syscall.lstat(folder.sub("set/last/model.safetensors"))))
        #expect(copied.permissions == 0o640 && copied.modified.seconds == 1_700_000_000)
        folder.write("set/last/model.safetensors", "rewritten")
        #expect(folder.read("capture/set/last/model.safetensors") == Array(repeating: 7, count: 100_000))
        #expect(staged.rewritten().isEmpty)
    }

    @Test func aLinkedFileRewrittenInPlaceIsReported() throws {
        let folder = TemporaryFolder()
        checkpoint(in: folder, "last")
        let staged = try CheckpointStager.stage(root: folder.sub("set"), names: ["last"], into: folder.sub("capture"), copy: false)
        let handle = try #require(FileHandle(forUpdatingAtPath: folder.sub("set/last/model.safetensors")))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data("epoch 2".utf8))
        try handle.close()
        #expect(staged.rewritten() == ["set/last/model.safetensors"])
    }

    @Test func aSingleFileCheckpointIsCapturedToo() throws {
        let folder = TemporaryFolder()
        folder.write("set/epoch=3.ckpt", "weights")
        let (root, names) = try CheckpointStager.locate(folder.sub("set/epoch=3.ckpt"), in: [folder.sub("set")])
        let staged = try CheckpointStager.stage(root: root, names: names, into: folder.sub("capture"), copy: false)
        #expect(staged.files == 1 && folder.read("capture/set/epoch=3.ckpt") == Array("weights".utf8))
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var path: String
        var expected: String
        var testDescription: String { path }
    }

    @Test(arguments: [
        Refusal(path: "set/tmp-checkpoint-9", expected: "is a temporary folder (tmp-checkpoint-9)"),
        Refusal(path: "set/model.pt.tmp", expected: "ends in .tmp"),
        Refusal(path: "set/checkpoint-9", expected: "the final rename has not happened"),
        Refusal(path: "set/checkpoint-10", expected: "does not exist"),
        Refusal(path: "set/linked", expected: "is a symbolic link"),
        Refusal(path: "elsewhere/checkpoint-1", expected: "is not inside the set's paths"),
        Refusal(path: "set/../elsewhere/checkpoint-1", expected: "must not hold . or .."),
        Refusal(path: "set", expected: "is the set path itself"),
        Refusal(path: "set/fifo", expected: "neither a folder nor a regular file"),
    ])
    func unfinishedOrForeignPathsAreRefused(_ refusal: Refusal) throws {
        let folder = TemporaryFolder()
        folder.write("set/tmp-checkpoint-9/model.pt", "half")
        folder.write("set/model.pt.tmp", "half")
        folder.write("elsewhere/checkpoint-1/model.pt", "x")
        try FileManager.default.createSymbolicLink(atPath: folder.sub("set/linked"), withDestinationPath: folder.sub("elsewhere"))
        mkfifo(folder.sub("set/fifo"), 0o600)
        #expect {
            try CheckpointStager.locate(folder.sub(refusal.path), in: [folder.sub("set")])
        } throws: { error in
            (error as? CaptureError)?.message.contains(refusal.expected) == true
        }
    }

    @Test func aFifoInsideACheckpointIsRefusedAndNothingIsLeft() throws {
        let folder = TemporaryFolder()
        checkpoint(in: folder, "checkpoint-1")
        mkfifo(folder.sub("set/checkpoint-1/pipe"), 0o600)
        #expect {
            try CheckpointStager.stage(root: folder.sub("set"), names: ["checkpoint-1"], into: folder.sub("capture"), copy: false)
        } throws: { error in
            (error as? CaptureError)?.message.contains("set/checkpoint-1/pipe is a FIFO, socket or device") == true
        }
        #expect(!Syscall.exists(folder.sub("capture")))
    }
}
