import Foundation
import PacaArchive
import PacaSystem
import PacaTestSupport
import Testing

@testable import PacaTargets

/// A directory target's root has an identity (`.paca-target`): pacad writes only where the
/// marker it recorded is, so an archive never lands in the empty folder where a disk should be
/// mounted, and a root it delivered to is never created again.
@Suite struct TargetIdentityTests {
    func upload(_ target: DirectoryTarget, _ key: String) async throws(TargetError) {
        let upload = try await target.beginUpload(key)
        upload.abandon()
    }

    func message(_ body: () async throws(TargetError) -> Void) async -> String? {
        do { try await body() } catch { return error.message }
        return nil
    }

    @Test func theFirstDeliveryMarksTheRootAndLaterOnesCheckIt() async throws {
        let temp = TemporaryFolder()
        let identities = TargetIdentities(stateDirectory: temp.path)
        let usb = DirectoryTarget(name: "usb", root: temp.sub("mnt/usb/paca"), identities: identities)
        let note = try await usb.claim(lastDelivered: nil, now: 1_795_744_800)
        #expect(note?.contains("marked") == true)
        let marker = try #require(try usb.marker())
        #expect(marker.target == "usb" && marker.id.count == 32 && identities.id(of: "usb") == marker.id)
        // A second daemon start reads the same id from the state directory.
        #expect(TargetIdentities(stateDirectory: temp.path).id(of: "usb") == marker.id)
        try await upload(usb, "work/a.zip")

        // The disk is unmounted: an empty folder stands where it was.
        try FileManager.default.moveItem(atPath: temp.sub("mnt/usb/paca"), toPath: temp.sub("disk"))
        try FileManager.default.createDirectory(atPath: temp.sub("mnt/usb/paca"), withIntermediateDirectories: false)
        let refused = await message { () throws(TargetError) in try await upload(usb, "work/b.zip") }
        #expect(refused?.contains("has no .paca-target: is its disk mounted?") == true, "\(String(describing: refused))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.sub("mnt/usb/paca")).isEmpty)
        #expect(await message { () throws(TargetError) in try await usb.claim(lastDelivered: "work/a.zip", now: 0) } != nil)
        #expect(await message { () throws(TargetError) in try await usb.remove("work/a.zip") } != nil)
        #expect(await usb.check().problem?.contains("mounted") == true)

        // No folder at all: not made again.
        try FileManager.default.removeItem(atPath: temp.sub("mnt/usb/paca"))
        #expect(await message { () throws(TargetError) in try await upload(usb, "work/b.zip") }?.contains("is gone") == true)
        #expect(await message { () throws(TargetError) in try await usb.claim(lastDelivered: nil, now: 0) } != nil)
        #expect(!FileManager.default.fileExists(atPath: temp.sub("mnt/usb/paca")))

        // The disk is back: deliveries go there again.
        try FileManager.default.moveItem(atPath: temp.sub("disk"), toPath: temp.sub("mnt/usb/paca"))
        try await upload(usb, "work/b.zip")
    }

    @Test func anotherTargetsFolderIsRefusedUntilAdoptedOnPurpose() async throws {
        let temp = TemporaryFolder()
        let identities = TargetIdentities(stateDirectory: temp.sub("state"))
        try FileManager.default.createDirectory(atPath: temp.sub("state"), withIntermediateDirectories: true)
        let usb = DirectoryTarget(name: "usb", root: temp.sub("usb"), identities: identities)
        try await usb.claim(lastDelivered: nil, now: 0)
        // Another machine's disk with its own marker is mounted there.
        let other = DirectoryTarget(name: "offsite", root: temp.sub("usb"), identities: TargetIdentities(stateDirectory: temp.path))
        _ = try await other.adopt(now: 0)
        let refused = await message { () throws(TargetError) in try await upload(usb, "work/c.zip") }
        #expect(
            refused?.contains("belongs to another target") == true && refused?.contains("offsite") == true, "\(String(describing: refused))"
        )
        let adopted = try await usb.adopt(now: 0)
        #expect(adopted.contains("adopted"))
        try await upload(usb, "work/c.zip")
        #expect(try usb.marker()?.id == identities.id(of: "usb"))
    }

    /// A root from before 0.11 (archives, no marker, no id recorded) is adopted when the catalog's
    /// newest delivery to it is there, and refused when it is not (the disk is not mounted).
    @Test func aRootFromBeforeMarkersIsAdoptedOnlyWhenItsArchivesAreThere() async throws {
        let temp = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: temp.sub("old/work"), withIntermediateDirectories: true)
        try Data("zip".utf8).write(to: URL(fileURLWithPath: temp.sub("old/work/20261127T020000Z-work-aaaa.zip")))
        let old = DirectoryTarget(name: "local", root: temp.sub("old"), identities: TargetIdentities(stateDirectory: temp.path))
        let note = try await old.claim(lastDelivered: "work/20261127T020000Z-work-aaaa.zip", now: 0)
        #expect(note?.contains("adopted") == true)

        try FileManager.default.createDirectory(atPath: temp.sub("empty"), withIntermediateDirectories: false)
        let empty = DirectoryTarget(name: "usb", root: temp.sub("empty"), identities: TargetIdentities(stateDirectory: temp.path))
        let refused = await message { () throws(TargetError) in
            try await empty.claim(lastDelivered: "work/20261127T020000Z-work-aaaa.zip", now: 0)
        }
        #expect(refused?.contains("is its disk mounted?") == true)
        #expect(!FileManager.default.fileExists(atPath: temp.sub("empty/.paca-target")))
    }
}

/// A bucket prefix has the same identity, so a prefix edited to another machine's is neither
/// written nor pruned. Against the real SeaweedFS.
@Suite(.enabled(if: S3TestServer.isEnabled)) struct S3TargetIdentityTests {
    @Test func aPrefixCarriesItsMarkerAndAnotherTargetsIsRefused() async throws {
        let temp = TemporaryFolder()
        let client = try await S3TestServer.client()
        let mine = S3Target(
            name: "offsite", client: client, prefix: "gpu-01", partSize: 5 << 20, concurrency: 1,
            identities: TargetIdentities(stateDirectory: temp.path))
        let note = try await mine.claim(lastDelivered: nil, now: 0)
        #expect(note?.contains("marked") == true)
        #expect(try await client.get("gpu-01/.paca-target").count > 0)
        let upload = try await mine.beginUpload("work/a.zip")
        upload.abandon()

        // Another machine's pacad pointed at the same prefix by mistake: refused, nothing removed.
        try FileManager.default.createDirectory(atPath: temp.sub("other"), withIntermediateDirectories: false)
        let theirs = S3Target(
            name: "offsite", client: client, prefix: "gpu-01", partSize: 5 << 20, concurrency: 1,
            identities: TargetIdentities(stateDirectory: temp.sub("other")))
        try await client.put("gpu-01/work/keep.zip", body: Array("zip".utf8))
        _ = try await theirs.claim(lastDelivered: nil, now: 0)  // a new state directory takes the marker...
        // ...but a prefix whose marker changed since is refused.
        _ = try await mine.adopt(now: 1)
        do {
            try await theirs.remove("work/keep.zip")
            Issue.record("a prefix with another marker was pruned")
        } catch {
            #expect(error.message.contains("belongs to another target"), "\(error.message)")
        }
        #expect(try await client.size(of: "gpu-01/work/keep.zip") == 3)
    }
}
