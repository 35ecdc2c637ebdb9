import PacaConfig
import PacaCore
import Testing

@Suite struct TriggerConfigTests {
    static func config(_ set: String) -> String {
        """
        state_dir: /var/lib/paca
        socket: /run/paca/pacad.sock
        targets:
          local: {type: directory, path: /var/backups/paca}
        sets:
          configs:
        \(set)
        """
    }

    static func problems(_ set: String) -> [String] {
        do {
            _ = try ConfigLoader.load(yaml: config(set))
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func configChangeWithWatchedPathsAndADebounce() throws {
        let loaded = try ConfigLoader.load(
            yaml: Self.config(
                """
                    paths: [/srv/ml/configs]
                    triggers: [config_change, training_start, config_change]
                    watch: [/srv/ml/configs/, /etc/paca/train.yaml]
                    debounce: 2m
                """))
        let set = try #require(loaded.set(named: "configs"))
        #expect(set.triggers == [.configChange, .trainingStart])
        #expect(set.watch == ["/srv/ml/configs", "/etc/paca/train.yaml"])
        #expect(set.debounce == 120)
        #expect(set.listens(to: .configChange) && !set.listens(to: .shutdown))
    }

    @Test func theDebounceDefaultsToFiveSeconds() throws {
        let loaded = try ConfigLoader.load(
            yaml: Self.config("    paths: [/srv/a]\n    triggers: [config_change]\n    watch: [/srv/a/cfg]"))
        #expect(loaded.sets[0].debounce == 5)
    }

    @Test(arguments: [
        ("    paths: [/srv/a]\n    triggers: [config_change]", "sets.configs.watch: missing; the config_change trigger needs"),
        ("    paths: [/srv/a]\n    watch: [/srv/a]", "sets.configs.watch: only used by the config_change trigger"),
        ("    paths: [/srv/a]\n    debounce: 5s", "sets.configs.debounce: only used by the config_change trigger"),
        ("    paths: [/srv/a]\n    triggers: [config_change]\n    watch: [cfg]", #"sets.configs.watch[0]: "cfg" is a relative path"#),
        ("    paths: [/srv/a]\n    triggers: [config_change]\n    watch: []", "sets.configs.watch: the list is empty"),
        ("    paths: [/srv/a]\n    triggers: [config_change]\n    watch: /srv/a", "sets.configs.watch: expected a list"),
        (
            "    paths: [/srv/a]\n    triggers: [config_change]\n    watch: [/srv/a]\n    debounce: 2h",
            #"sets.configs.debounce: "2h" is not a quiet period between 1s and 1h"#
        ),
        (
            "    paths: [/srv/a]\n    triggers: [config_change]\n    watch: [/srv/a]\n    debounce: soon",
            #"sets.configs.debounce: "soon" is not a quiet period"#
        ),
        (
            "    paths: [/srv/a]\n    triggers: [lunch]",
            #""lunch" is not a trigger; use training_start, training_end, config_change, shutdown"#
        ),
    ])
    func mistakesAreNamed(set: String, expected: String) {
        let found = Self.problems(set)
        #expect(found.contains { $0.contains(expected) }, "\(found)")
    }

    @Test func theEmbeddedDefaultTakesTrainingStart() {
        let config = DaemonConfig.embeddedDefault(workingDirectory: "/w", source: "/w/data")
        #expect(config.sets[0].triggers == [.trainingStart])
    }
}
