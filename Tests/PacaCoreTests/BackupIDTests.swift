import PacaCore
import Testing

@Suite struct BackupIDTests {
    struct Fixed: RandomNumberGenerator {
        var value: UInt64
        mutating func next() -> UInt64 { value }
    }

    @Test func hasTheDocumentedShape() {
        var random = Fixed(value: 0x3f9c)
        let id = BackupID(set: "training", unixSeconds: 1_795_744_800, using: &random)
        #expect(id.text.count == "20261127T020000Z-training-xxxx".count)
        #expect(id.text.hasPrefix("20261127T020000Z-training-"))
        #expect(id.setName == "training")
        #expect(BackupID(id.text) == id)
    }

    @Test func setNamesWithDashesSurviveAParse() throws {
        let id = try #require(BackupID("20261127T020000Z-llm-sft-00af"))
        #expect(id.setName == "llm-sft")
    }

    @Test func idsSortByTime() {
        var random = SystemRandomNumberGenerator()
        let times: [Int64] = [1_795_744_800, 1_700_000_000, 1_795_744_801, 946_684_800]
        let ids = times.map { BackupID(set: "zeta", unixSeconds: $0, using: &random) }
        #expect(ids.sorted().map { String($0.text.prefix(16)) } == times.sorted().map { CivilTime(unixSeconds: $0).compact })
    }

    /// Backups of one set started in the same second get ids in the order they started; another
    /// second, or another set, draws freely.
    @Test func idsOfOneSecondSortInStartOrder() {
        var random = SystemRandomNumberGenerator()
        var previous: String?
        var ids: [String] = []
        for _ in 0..<200 {
            let id = BackupID(set: "zeta", unixSeconds: 1_795_744_800, after: previous, using: &random).text
            ids.append(id)
            previous = id
            if id.hasSuffix("ffff") { break }
        }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        var top = Fixed(value: 0)
        let last = "20261127T020000Z-zeta-fffe"
        #expect(BackupID(set: "zeta", unixSeconds: 1_795_744_800, after: last, using: &top).text == "20261127T020000Z-zeta-ffff")
        #expect(BackupID(set: "zeta", unixSeconds: 1_795_744_801, after: last, using: &top).text == "20261127T020001Z-zeta-0000")
        #expect(BackupID(set: "other", unixSeconds: 1_795_744_800, after: last, using: &top).text == "20261127T020000Z-other-0000")
    }

    @Test(arguments: [
        "", "training", "20261127T020000Z-training", "2026112T020000Z-x-3f9c", "20261127T020000Z--3f9c", "20261127T020000Z-x-3f9",
        "../../etc-x-0000",
    ])
    func rejectsWhatIsNotAnID(_ text: String) {
        #expect(BackupID(text) == nil)
    }
}
