import PacaConfig
import Testing

@Suite struct IncrementalConfigTests {
    @Test func setsAreIncrementalByDefault() throws {
        let set = try #require(try ConfigLoader.load(yaml: TriggerConfigTests.config("    paths: [/srv/a]")).sets.first)
        #expect(set.incremental == DaemonConfig.BackupSet.Incremental(isEnabled: true, maxSources: 8, minLive: 0.5))
        #expect(set.fullEvery == nil)
    }

    @Test func theKeysAreRead() throws {
        let off = try ConfigLoader.load(yaml: TriggerConfigTests.config("    paths: [/srv/a]\n    incremental: false")).sets[0]
        #expect(!off.incremental.isEnabled)
        let tuned = try ConfigLoader.load(
            yaml: TriggerConfigTests.config("    paths: [/srv/a]\n    incremental: {max_sources: 3, min_live: 0.25}\n    full_every: 10")
        ).sets[0]
        #expect(tuned.incremental == DaemonConfig.BackupSet.Incremental(isEnabled: true, maxSources: 3, minLive: 0.25))
        #expect(tuned.fullEvery == 10)
    }

    @Test(arguments: [
        ("    paths: [/srv/a]\n    incremental: sometimes", "sets.configs.incremental: expected true, false, or a mapping"),
        ("    paths: [/srv/a]\n    incremental: {max_sources: 0}", "sets.configs.incremental.max_sources: 0 is out of range 1-1000"),
        ("    paths: [/srv/a]\n    incremental: {min_live: 2}", "sets.configs.incremental.min_live: expected a share between 0 and 1"),
        ("    paths: [/srv/a]\n    incremental: {max_source: 2}", #"did you mean "max_sources"?"#),
        ("    paths: [/srv/a]\n    full_every: 0", "sets.configs.full_every: 0 is out of range 1-100000"),
        (
            "    paths: [/srv/a]\n    incremental: false\n    full_every: 3",
            "sets.configs.full_every: every backup of this set is full already"
        ),
    ])
    func badValuesAreNamed(set: String, message: String) {
        let problems = TriggerConfigTests.problems(set)
        #expect(problems.contains { $0.contains(message) }, "\(problems)")
    }
}
