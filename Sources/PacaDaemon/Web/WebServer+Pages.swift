import HTTPTypes
import Hummingbird
import PacaArchive
import PacaCore
import PacaFiles
import PacaProtocol
import PacaSystem
import PacaWeb

extension WebServer {
    func addPageRoutes(to routes: Router<WebContext>) {
        routes.get("/backups") { request, context in
            let signedIn = try context.requireSignIn()
            let query = request.uri.queryParameters
            let filter = query["where"].map(String.init) ?? ""
            let set = query["set"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let offset = query["offset"].flatMap { Int64(String($0)) }.map { max(0, $0) } ?? 0
            var members: [String: JSONValue] = [
                "limit": .int(BackupsPage.pageSize), "offset": .int(offset), "sort_by": "id", "sort_order": "desc",
            ]
            if !filter.isEmpty { members["filter"] = .string(filter) }
            if let set { members["set"] = .string(set) }
            do throws(WebFailure) {
                let params = try WebForm.params(BackupListParams.self, members, method: Methods.backupList.name)
                let list = try await call(Methods.backupList, params, as: signedIn)
                return WebPage.html(
                    BackupsPage(
                        backups: list.backups, filter: filter, set: set, offset: offset, nextOffset: list.nextOffset,
                        viewer: signedIn.viewer
                    )
                    .html())
            } catch {
                guard case .rpc(let problem) = error, problem.code == RPCErrorCode.invalidParams.rawValue else { throw error }
                let page = BackupsPage(backups: [], filter: filter, set: set, offset: 0, nextOffset: nil, viewer: signedIn.viewer)
                return WebPage.html(page.html(error: problem.message), status: .badRequest)
            }
        }
        routes.get("/backups/:id") { request, context in
            let signedIn = try context.requireSignIn()
            let id = try context.parameters.require("id")
            let backup = try await call(Methods.backupShow, BackupIDParams(id: id), as: signedIn)
            let query = request.uri.queryParameters
            let directory = query["dir"].map(String.init) ?? ""
            let after = query["after"].map(String.init)
            let (tree, problem, previous) = try await tree(of: backup, directory: directory, after: after)
            let page = BackupPage(backup: backup, tree: tree, treeProblem: problem, previous: previous, viewer: signedIn.viewer)
            return WebPage.html(page.html(notice: await sessions.takeNotice(signedIn.sessionID)))
        }
        routes.get("/history") { request, context in
            let signedIn = try context.requireSignIn()
            let query = request.uri.queryParameters
            guard let set = query["set"].map(String.init), let path = query["path"].map(String.init), !set.isEmpty, !path.isEmpty else {
                throw WebFailure.badRequest("Name the set and the path: /history?set=SET&path=PATH.")
            }
            try await requireSet(set, signedIn)
            let files = try requireFiles()
            let before = query["before"].flatMap { Int64(String($0)) }
            let found: (versions: [PathVersion], next: Int64?)?
            do throws(FileIndexError) { found = try await files.history(set: set, path: path, before: before, limit: 500) } catch {
                throw WebFailure.badRequest(error.description)
            }
            guard let found else { throw WebFailure.notFound("No backup of set \(set) in the file index holds \(path).") }
            let catalog = daemon.catalog
            var existing = Set<String>()
            for version in found.versions where await catalog.record(version.backupID) != nil { existing.insert(version.backupID) }
            let page = HistoryPage(
                set: set, path: path, versions: found.versions, next: found.next, existing: existing, viewer: signedIn.viewer)
            return WebPage.html(page.html())
        }
        routes.get("/diff") { request, context in
            let signedIn = try context.requireSignIn()
            let query = request.uri.queryParameters
            guard let fromID = query["from"].map(String.init), let toID = query["to"].map(String.init) else {
                throw WebFailure.badRequest("Name two backups: /diff?from=ID&to=ID.")
            }
            var from = try await call(Methods.backupShow, BackupIDParams(id: fromID), as: signedIn)
            var to = try await call(Methods.backupShow, BackupIDParams(id: toID), as: signedIn)
            guard from.set == to.set else {
                throw WebFailure.badRequest("\(fromID) is a backup of \(from.set) and \(toID) of \(to.set): compare backups of one set.")
            }
            let after = query["after"].flatMap { Int64(String($0)) } ?? 0
            let (changes, next) = try await changes(from: &from, to: &to, after: after)
            return WebPage.html(DiffPage(from: from, to: to, changes: changes, next: next, viewer: signedIn.viewer).html())
        }
        routes.get("/charts") { request, context in
            let signedIn = try context.requireSignIn()
            let sets = try await call(Methods.daemonStatus, NoParams(), as: signedIn).sets.map(\.name)
            let set = request.uri.queryParameters["set"].map(String.init) ?? (sets.count == 1 ? sets.first : nil)
            var backups: [Backup] = []
            if let set {
                var params = BackupListParams()
                params.set = set
                params.limit = 200
                backups = try await call(Methods.backupList, params, as: signedIn).backups
            }
            return WebPage.html(ChartsPage(sets: sets, set: set, backups: backups, viewer: signedIn.viewer).html())
        }
        routes.get("/events") { _, context in
            let signedIn = try context.requireSignIn()
            let events = try await call(Methods.eventsList, EventsListParams(job: nil, limit: 200), as: signedIn).events
            var audit: [JSONValue]?
            if signedIn.viewer.isAdmin {
                var params = AuditListParams()
                params.limit = 200
                audit = try await call(Methods.auditList, params, as: signedIn).entries.reversed()
            }
            return WebPage.html(EventsPage(events: events.reversed(), audit: audit, viewer: signedIn.viewer).html())
        }
        routes.get("/backups/:id/download") { request, context in
            let signedIn = try context.requireSignIn()
            let id = try context.parameters.require("id")
            let path = (request.uri.queryParameters["path"].map(String.init) ?? "").trimmingSlashes
            return try await download(id, path: path, as: signedIn)
        }
        routes.post("/backups/:id/verify") { _, context in
            let signedIn = try context.requireSignIn()
            let id = try context.parameters.require("id")
            let result = try await call(Methods.backupVerify, BackupVerifyParams(id: id), as: signedIn)
            let text =
                result.ok
                ? "Verified \(id): \(result.entries) entries, every CRC-32 and SHA-256 as recorded."
                : "Verification of \(id) FAILED: " + result.problems.prefix(3).map(\.message).joined(separator: "; ")
            await sessions.setNotice(Notice(text, isError: !result.ok), for: signedIn.sessionID)
            return WebPage.redirect("/backups/\(URLText.component(id))")
        }
        routes.post("/backups/:id/pin") { request, context in
            let signedIn = try context.requireSignIn()
            let id = try context.parameters.require("id")
            let form = try await WebForm.read(request)
            let pinned = form["pinned"] != "false"
            _ = try await call(Methods.backupPin, BackupPinParams(id: id, pinned: pinned), as: signedIn)
            await sessions.setNotice(Notice(pinned ? "Pinned: retention keeps \(id)." : "Unpinned \(id)."), for: signedIn.sessionID)
            return WebPage.redirect("/backups/\(URLText.component(id))")
        }
        routes.post("/backups/:id/restore") { request, context in
            let signedIn = try context.requireSignIn()
            let id = try context.parameters.require("id")
            let form = try await WebForm.read(request)
            let destination = form["destination"] ?? ""
            let path = (form["path"] ?? "").trimmingSlashes
            guard signedIn.viewer.isAdmin else {
                // The browser cannot act as a Unix user; the caller's own pacactl can.
                let include = path.isEmpty ? "" : " --include '/\(path)/**'"
                throw WebFailure.rpc(
                    RPCError(
                        .permissionDenied,
                        "Restoring into a folder from the browser writes with pacad's own rights, which only admins may use. As yourself, run: pacactl restore \(id) --to \(destination.isEmpty ? "DESTINATION" : destination)\(include)"
                    ))
            }
            let include = path.isEmpty ? [] : ["/" + PathPattern.escaped(path), "/" + PathPattern.escaped(path) + "/**"]
            let result = try await call(Methods.restoreRun, RestoreParams(id: id, to: destination, include: include), as: signedIn)
            await sessions.setNotice(
                Notice("Restored \(result.files) files (\(SizeText.format(result.bytes))) of \(id) into \(result.destination)."),
                for: signedIn.sessionID)
            return WebPage.redirect("/backups/\(URLText.component(id))")
        }
    }

    /// The folder `directory` of `backup` from the file index, or why it cannot be shown; and the
    /// set's backup before it in the index.
    func tree(of backup: Backup, directory: String, after: String?) async throws(WebFailure) -> (BackupPage.Tree?, String?, String?) {
        guard let files = daemon.files else { return (nil, "The file index could not be opened when pacad started; see its log.", nil) }
        let limit = 500
        let found: (entries: [IndexedEntry]?, previous: String?)
        do throws(FileIndexError) {
            guard let indexed = try await files.backup(backup.id) else {
                return (nil, Self.notIndexed(backup), nil)
            }
            found = (
                try await files.children(set: backup.set, sequence: indexed.sequence, directory: directory, after: after, limit: limit + 1),
                try await files.backups(set: backup.set).last { $0.sequence < indexed.sequence }?.backupID
            )
        } catch {
            return (nil, error.description, nil)
        }
        guard let entries = found.entries else { throw WebFailure.notFound("Backup \(backup.id) holds no folder \(directory).") }
        let tree = BackupPage.Tree(
            directory: directory, entries: Array(entries.prefix(limit)), next: entries.count > limit ? entries[limit - 1].name : nil)
        return (tree, nil, found.previous)
    }

    /// Why the file index does not hold `backup`.
    static func notIndexed(_ backup: Backup) -> String {
        if backup.checkpoint != nil {
            return "This is a checkpoint capture (one folder of the set); the file index holds whole-set backups."
        }
        guard backup.status == .complete || backup.status == .partial else {
            return "This backup is \(backup.status.rawValue); the file index holds backups that completed."
        }
        return
            "The file index does not hold this backup yet. Backups it lacks are read from their archives when pacad starts, oldest first; a sealed backup it never saw, or one older than a backup it already holds, stays out, as does one whose archive could not be read then (pacad's log names it)."
    }

    /// What differs between two backups of one set (put in order, older first).
    func changes(from: inout Backup, to: inout Backup, after: Int64) async throws(WebFailure) -> ([PathChange], Int64?) {
        let files = try requireFiles()
        let found: (changes: [PathChange], next: Int64?)?
        let pair: (IndexedBackup?, IndexedBackup?)
        do throws(FileIndexError) { pair = (try await files.backup(from.id), try await files.backup(to.id)) } catch {
            throw WebFailure.badRequest(error.description)
        }
        guard var older = pair.0, var newer = pair.1 else {
            throw WebFailure.notFound("The file index does not hold both backups: \(Self.notIndexed(pair.0 == nil ? from : to))")
        }
        do throws(FileIndexError) {
            if older.sequence > newer.sequence {
                swap(&older, &newer)
                swap(&from, &to)
            }
            found = try await files.changes(set: to.set, from: older.sequence, to: newer.sequence, after: after, limit: 2000)
        } catch {
            throw WebFailure.badRequest(error.description)
        }
        guard let found else { throw WebFailure.notFound("No backup of set \(to.set) is in the file index.") }
        return (found.changes, found.next)
    }

    /// A folder (or file) of backup `id` as a ZIP streamed from the stored entries, through a
    /// restore session of the signed-in caller: what `pacactl restore` would give them, no more.
    func download(_ id: String, path: String, as signedIn: WebContext.SignedIn) async throws(WebFailure) -> Response {
        let backup = try await call(Methods.backupShow, BackupIDParams(id: id), as: signedIn)
        guard !backup.sealed else {
            throw .badRequest(
                "Backup \(id) is sealed with age, so pacad cannot read it. Restore it with: pacactl restore \(id) --to DIR --identity FILE")
        }
        let session = try await call(Methods.restoreOpen, RestoreOpenParams(id: id), as: signedIn)
        let engine = daemon.engine
        let sources = session.archives.map {
            SessionArchive(engine: engine, session: session.session, backup: $0.backup, caller: signedIn.caller.uid, size: UInt64($0.size))
        }
        let server = self
        let close: @Sendable () async -> Void = {
            _ = try? await server.call(Methods.restoreClose, RestoreCloseParams(session: session.session), as: signedIn)
        }
        let plan: SubtreeZip.Plan
        do {
            plan = try await BlockingPool.shared.run { () throws(ArchiveError) -> SubtreeZip.Plan in
                try SubtreeZip.plan(own: sources[0], path: path, manifestSha256: session.manifestSha256)
            }
        } catch {
            await close()
            throw error.code == .notFound ? .notFound(error.description) : .rpc(RPCError(.storageError, error.description))
        }
        let limit =
            session.restricted
            ? ReaderLimit(
                access: ReadAccess(
                    uid: UInt32(truncatingIfNeeded: session.uid), groups: session.groups.map { UInt32(truncatingIfNeeded: $0) }),
                closedRoots: Set(session.closedRoots)) : nil
        var references: [String: any ArchiveByteSource] = [:]
        for source in sources.dropFirst() { references[source.backup] = source }
        let handOver = references
        let pipe = ChunkPipe()
        let spool = await daemon.configuration.config.stateDirectory + "/spool"
        Task {
            let outcome = await SystemThread.run { () -> Result<SubtreeZip.Summary, ArchiveError> in
                try? DurableFile.makeDirectories(spool)
                return Result { () throws(ArchiveError) in
                    try SubtreeZip.write(plan, references: handOver, limit: limit, spoolDirectory: spool, into: pipe)
                }
            }
            switch outcome {
            case .success: pipe.finish()
            case .failure(let error):
                pipe.finish(error)
                server.logger.warning("a dashboard download stopped", metadata: ["backup.id": "\(id)", "error": "\(error)"])
            }
            await close()
        }
        let base = path.isEmpty ? id : id + "-" + (path.split(separator: "/").last.map(String.init) ?? path)
        let name = String(
            base.unicodeScalars.map {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
                    ? Character($0) : "_"
            })
        var headers: HTTPFields = [.contentType: "application/zip"]
        headers[.contentDisposition] = "attachment; filename=\"\(name).zip\""
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: pipe))
    }

    /// The file index, or a 404 page saying it could not be opened.
    func requireFiles() throws(WebFailure) -> FileIndex {
        guard let files = daemon.files else {
            throw WebFailure.notFound("The file index could not be opened when pacad started; see its log.")
        }
        return files
    }

    /// Refuses a set the caller may not see (`sets.NAME.access`), as the socket's methods do.
    func requireSet(_ set: String, _ signedIn: WebContext.SignedIn) async throws(WebFailure) {
        guard await policy().mayUse(set: set, signedIn.caller) else {
            throw .rpc(RPCError(.permissionDenied, "set \"\(set)\" is limited to some callers; you are not among them"))
        }
    }
}

/// Form bodies and params built from query values.
enum WebForm {
    /// The `application/x-www-form-urlencoded` body of a form post (at most 64 KiB).
    static func read(_ request: Request) async throws -> [String: String] {
        var request = request
        let body = try await request.collectBody(upTo: 64 << 10)
        return URLText.formFields(String(buffer: body))
    }

    /// `Params` read from `members` as the socket would read them (so a bad filter is an
    /// invalid-params error that names what is wrong).
    static func params<Params: WireParams>(_ type: Params.Type, _ members: [String: JSONValue], method: String) throws(WebFailure) -> Params
    {
        do { return try Params.decode(members, method: method) } catch { throw .rpc(error) }
    }
}

extension String {
    /// Without leading and trailing slashes.
    var trimmingSlashes: String {
        var text = Substring(self)
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }
}
