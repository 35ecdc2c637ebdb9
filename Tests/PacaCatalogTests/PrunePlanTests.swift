import PacaCatalog
import PacaCore
import Testing

/// Retention's decision for one set on one target, without a catalog or a target.
@Suite struct PrunePlanTests {
    /// A complete backup taken `sequence`-th, at hour `sequence`, stored on `ok` targets and failed on `failed` ones.
    func backup(
        _ id: String, _ sequence: Int64, ok: [String] = ["disk"], failed: [String] = [], references: [String] = [], bytes: UInt64 = 100
    ) -> BackupRecord {
        var record = BackupRecord(id: id, set: "data", trigger: .manual, reason: nil, startedAt: sequence * 3600, target: "disk", path: "")
        record.status = .complete
        record.sequence = sequence
        record.references = references
        record.bytesStored = bytes
        record.deliveries =
            ok.map { Delivery(target: $0, status: .ok, location: "/\($0)") }
            + failed.map { Delivery(target: $0, status: .failed, location: "/\($0)") }
        return record
    }

    func plan(_ records: [BackupRecord], target: String = "disk", keepLast: Int) -> PrunePlan {
        PrunePlan(set: "data", target: target, records: records, policy: RetentionPolicy(keepLast: keepLast), zone: .utc, now: 100 * 3600)
    }

    @Test func keepLastKeepsTheNewestInTheOrderTheyWereTaken() {
        // b's clock ran ahead: its stamp is the newest, but c was taken after it.
        var b = backup("b", 2)
        b.startedAt = 50 * 3600
        let plan = plan([backup("a", 1), b, backup("c", 3)], keepLast: 2)
        #expect(plan.kept.map(\.id) == ["c", "b"])
        #expect(plan.removals.map(\.id) == ["a"])
        #expect(plan.removals.allSatisfy { $0.set == "data" && $0.target == "disk" && $0.reasons.isEmpty })
        #expect(plan.keptAsRestorePoints == ["b", "c"] && plan.keptForReferences.isEmpty)
    }

    /// A failed delivery is no copy: the newest backup, missing on this target, does not push
    /// out the older copy that is there.
    @Test func onlyCopiesThatAreThereCount() {
        let plan = plan([backup("a", 1), backup("b", 2, ok: ["bucket"], failed: ["disk"])], keepLast: 1)
        #expect(plan.kept.map(\.id) == ["a"] && plan.removals.isEmpty)
        let onBucket = self.plan([backup("a", 1), backup("b", 2, ok: ["bucket"], failed: ["disk"])], target: "bucket", keepLast: 1)
        #expect(onBucket.kept.map(\.id) == ["b"] && onBucket.removals.isEmpty)
    }

    /// An incremental backup's archive needs the files of the ones it references: they stay,
    /// marked `referenced`, with who needs them and what keeping them costs.
    @Test func aReferencedCopyStaysWithWhoNeedsIt() {
        let records = [backup("a", 1, bytes: 7_000), backup("b", 2), backup("c", 3, references: ["a"])]
        let plan = plan(records, keepLast: 1)
        #expect(plan.kept.map(\.id) == ["c", "a"])
        let referenced = plan.kept.last
        #expect(referenced?.reasons == ["referenced"] && referenced?.referencedBy == ["c"] && referenced?.bytes == 7_000)
        #expect(plan.removals.map(\.id) == ["b"])
        #expect(plan.keptForReferences == ["a"] && plan.keptAsRestorePoints == ["c"])
    }

    /// A retired backup is no restore point: the policy does not count it, and it goes once
    /// nothing kept references it.
    @Test func aRetiredBackupGoesWhenNothingNeedsIt() {
        var old = backup("a", 1)
        old.retired = true
        let needed = plan([old, backup("b", 2, references: ["a"])], keepLast: 1)
        #expect(needed.kept.map(\.id) == ["b", "a"] && needed.removals.isEmpty)
        let alone = plan([old, backup("b", 2)], keepLast: 1)
        #expect(alone.kept.map(\.id) == ["b"] && alone.removals.map(\.id) == ["a"])
    }

    /// Running and failed backups are no restore points: retention neither keeps nor removes them.
    @Test func onlyRestorePointsAreDecided() {
        var running = backup("c", 3)
        running.status = .running
        var failed = backup("d", 4)
        failed.status = .failed
        let plan = plan([backup("a", 1), backup("b", 2), running, failed], keepLast: 1)
        #expect(plan.kept.map(\.id) == ["b"] && plan.removals.map(\.id) == ["a"])
    }
}
