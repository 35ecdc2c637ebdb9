import ArgumentParser
import PacaAge
import PacaArchive
import PacaClient
import PacaProtocol

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Work on pacad's catalog of backups.", subcommands: [CatalogRebuildCommand.self])
}

struct CatalogRebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Catalog every archive on a target that the catalog does not know (after losing the state directory).",
        discussion: """
            Reads each archive's manifest and sidecar; archives already cataloged there are left as they are. Sealed \
            archives (.zip.age) are cataloged from their names and sidecars, their files unknown to pacad; with \
            --identity, pacactl then decrypts each one's manifest here and tells pacad its files, bytes and references \
            (catalog.describe). They stay unverified either way.
            """)

    @Option(help: "The target to read.")
    var target: String

    @OptionGroup var keys: IdentityOptions

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let identities = try keys.identities()
        let reply = try daemon.call(Methods.catalogRebuild, CatalogRebuildParams(target: target, progress: true))
        let described = identities.isEmpty ? [] : try describeSealed(reply.result.added + reply.result.updated, identities)
        if daemon.json { return daemon.printResult(reply) }
        let report = reply.result
        print(
            "\(target): \(report.added.count) backup(s) added, \(report.updated.count) known backup(s) found there too, \(report.known) already cataloged"
        )
        if !identities.isEmpty { print("\(described.count) sealed backup(s) described from their decrypted manifests") }
        for problem in report.problems { print("  \(problem.key): \(problem.error)") }
        if !report.problems.isEmpty { throw ExitCode(1) }
    }

    /// For each of `ids` that is sealed and unverified: its manifest read here with `identities`,
    /// and what it says recorded by pacad. Returns the ids described.
    private func describeSealed(_ ids: [String], _ identities: [AgeIdentity]) throws -> [String] {
        var described: [String] = []
        for id in ids {
            let record = try daemon.call(Methods.backupShow, BackupIDParams(id: id)).result
            guard record.sealed && record.status == .unverified else { continue }
            let read: (summary: ManifestSummary, sha256: String)
            do {
                read = try CallerRestore.manifestSummary(
                    id, identities: identities, paths: SocketLocation.candidates(named: daemon.socket), timeout: daemon.replyTimeout)
            } catch {
                throw fail("backup \(id): \(error.message)", error.exitStatus)
            }
            var params = CatalogDescribeParams()
            params.id = id
            params.manifestSha256 = read.sha256
            params.files = read.summary.files
            params.bytesIn = read.summary.bytes
            params.bytesWritten = read.summary.bytesHeld
            params.filesReferenced = read.summary.filesReferenced
            params.bytesReferenced = read.summary.bytesReferenced
            params.references = read.summary.referencedBackups
            params.base = read.summary.parent
            _ = try daemon.call(Methods.catalogDescribe, params)
            described.append(id)
        }
        return described
    }
}
