import PacaConfig
import PacaCore
import Testing

@Suite struct ConfigLoaderTests {
    static let example = """
        state_dir: /var/lib/paca            # catalog and daemon state
        socket: /run/paca/pacad.sock
        socket_group: paca
        compression: {level: 3, threads: 2}
        targets:
          local: {type: directory, path: /var/backups/paca}
          usb: {type: directory, path: /mnt/usb/paca}
        sets:
          training:
            paths: [/srv/ml/learning, /srv/ml/cognitive]
            exclude: ["*.tmp", "__pycache__/"]
            targets: [usb]
          configs:
            paths: [/etc/paca]
            targets: [local]
        """

    @Test func decodesTheDocumentedExample() throws {
        let config = try ConfigLoader.load(yaml: Self.example)
        #expect(config.stateDirectory == "/var/lib/paca")
        #expect(config.socketPath == "/run/paca/pacad.sock")
        #expect(config.socketGroup == "paca")
        #expect(config.compressionLevel == 3)
        #expect(config.compressionThreads == 2)
        #expect(config.targets.map(\.name) == ["local", "usb"])
        #expect(config.target(named: "usb")?.kind == .directory(path: "/mnt/usb/paca"))
        let training = try #require(config.set(named: "training"))
        #expect(training.paths == ["/srv/ml/learning", "/srv/ml/cognitive"])
        #expect(training.excludes == [try PathPattern("*.tmp"), try PathPattern("__pycache__/")])
        #expect(training.targets == ["usb"])
        #expect(config.sets.map(\.name) == ["training", "configs"])
    }

    /// `access:` and a set's `access:` are read with names looked up on this machine.
    @Test func accessNamesUsersGroupsAndIds() throws {
        let config = try ConfigLoader.load(
            yaml: Self.base + "sets: {ws: {paths: [/w], access: [group:root]}}\naccess: {read: [group:root, uid:1234], admin: [user:root]}")
        let access = try #require(config.access)
        #expect(
            access.read == [
                DaemonConfig.Principal(kind: .group, id: 0, text: "group:root"), .init(kind: .user, id: 1234, text: "uid:1234"),
            ])
        #expect(access.operate.isEmpty)
        #expect(access.admin == [DaemonConfig.Principal(kind: .user, id: 0, text: "user:root")])
        #expect(config.sets[0].access == [DaemonConfig.Principal(kind: .group, id: 0, text: "group:root")])
        #expect(try ConfigLoader.load(yaml: Self.base + "sets: {ws: {paths: [/w]}}").access == nil)
    }

    @Test func aSetMayNameSeveralTargetsButEachOnce() throws {
        let several = Self.example.replacingOccurrences(of: "targets: [usb]", with: "targets: [local, usb]")
        #expect(try ConfigLoader.load(yaml: several).set(named: "training")?.targets == ["local", "usb"])
        let twice = Self.example.replacingOccurrences(of: "targets: [usb]", with: "targets: [usb, local, usb]")
        #expect {
            try ConfigLoader.load(yaml: twice)
        } throws: { error in
            let problems = (error as? ConfigError)?.problems ?? []
            return problems.count == 1 && problems[0].key == "sets.training.targets" && problems[0].message.contains("named twice")
        }
    }

    @Test func aSetMayOmitTargetsWhenThereIsOnlyOne() throws {
        let config = try ConfigLoader.load(
            yaml: """
                state_dir: /s
                socket: /s/pacad.sock
                targets: {local: {type: directory, path: /b}}
                sets: {ws: {paths: [/w]}}
                """)
        #expect(config.sets[0].targets == ["local"])
        #expect(config.compressionLevel == 2)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var yaml: String
        var key: String
        var message: String
        var testDescription: String { key }
    }

    static let base = "state_dir: /s\nsocket: /s/pacad.sock\ntargets: {local: {type: directory, path: /b}}\n"

    @Test(arguments: [
        BadCase(yaml: base + "sets: {ws: {paths: [/w], exlude: ['*.tmp']}}", key: "sets.ws.exlude", message: "did you mean \"exclude\"?"),
        BadCase(yaml: base + "sets: {ws: {paths: [relative/dir]}}", key: "sets.ws.paths[0]", message: "relative path"),
        BadCase(yaml: base + "sets: {ws: {paths: /w}}", key: "sets.ws.paths", message: "expected a list"),
        BadCase(yaml: base + "sets: {ws: {paths: [/w], targets: [nas]}}", key: "sets.ws.targets", message: "no target named \"nas\""),
        BadCase(yaml: base + "sets: {ws: {paths: [/w], exclude: ['[oops']}}", key: "sets.ws.exclude[0]", message: "not closed"),
        BadCase(yaml: base + "sets: {Bad Name: {paths: [/w]}}", key: "sets.Bad Name", message: "not a valid name"),
        BadCase(yaml: base + "compression: {level: 12}\nsets: {ws: {paths: [/w]}}", key: "compression.level", message: "out of range 0-9"),
        BadCase(yaml: base + "sets: {ws: {paths: [/w]}}\nretention: 3", key: "retention", message: "unknown key"),
        BadCase(
            yaml: "state_dir: /s\nsocket: /s/p.sock\ntargets: {x: {type: ftp, path: /b}}\nsets: {ws: {paths: [/w]}}", key: "targets.x.type",
            message: "unknown target type \"ftp\""),
        BadCase(
            yaml: "socket: /s/p.sock\ntargets: {x: {type: directory, path: /b}}\nsets: {ws: {paths: [/w]}}", key: "state_dir",
            message: "missing"),
        BadCase(yaml: base + "sets: {ws: {paths: [/w]}}\naccess: {read: [bob]}", key: "access.read[0]", message: "not a caller"),
        BadCase(
            yaml: base + "sets: {ws: {paths: [/w]}}\naccess: {admin: [user:no-such-user-here]}", key: "access.admin[0]",
            message: "no user \"no-such-user-here\""),
        BadCase(yaml: base + "sets: {ws: {paths: [/w]}}\naccess: {owner: [uid:1]}", key: "access.owner", message: "unknown key"),
        BadCase(yaml: base + "sets: {ws: {paths: [/w], access: [gid:x]}}", key: "sets.ws.access[0]", message: "not a number"),
        BadCase(yaml: base + "sets: {ws: {paths: [/w], access: []}}", key: "sets.ws.access", message: "the list is empty"),
    ])
    func badValuesAreNamedByKeyAndLine(_ c: BadCase) {
        do {
            _ = try ConfigLoader.load(yaml: c.yaml, file: "pacad.yaml")
            Issue.record("accepted")
        } catch {
            let problem = error.problems.first { $0.key == c.key }
            #expect(problem != nil, "\(error)")
            #expect(problem?.message.contains(c.message) == true, "\(error)")
            #expect(problem?.line != nil)
            #expect(error.description.hasPrefix("pacad.yaml: "))
        }
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let yaml = """
            state_dir: relative
            socket: /s/p.sock
            targets: {local: {type: directory}}
            sets: {ws: {paths: [], exlude: 3}}
            """
        do {
            _ = try ConfigLoader.load(yaml: yaml)
            Issue.record("accepted")
        } catch {
            let keys = Set(error.problems.map(\.key))
            #expect(keys.isSuperset(of: ["state_dir", "targets.local.path", "sets.ws.paths", "sets.ws.exlude"]), "\(error)")
        }
    }

    @Test func brokenYAMLNamesTheLine() {
        do {
            _ = try ConfigLoader.load(yaml: "state_dir: /s\nsets: [unclosed\n")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems[0].message.hasPrefix("not valid YAML"))
            #expect(error.problems[0].line != nil)
        }
    }

    @Test func embeddedDefaultKeepsEverythingUnderDotPaca() {
        let config = DaemonConfig.embeddedDefault(workingDirectory: "/home/u/proj", source: "/home/u/proj/ws")
        #expect(config.stateDirectory == "/home/u/proj/.paca")
        #expect(config.socketPath == "/home/u/proj/.paca/pacad.sock")
        #expect(config.target(named: "local")?.kind == .directory(path: "/home/u/proj/.paca/backups"))
        #expect(
            config.sets == [
                DaemonConfig.BackupSet(name: "workspace", paths: ["/home/u/proj/ws"], targets: ["local"], triggers: [.trainingStart])
            ])
    }
}
