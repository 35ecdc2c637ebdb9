import PacaCapture
import PacaCatalog
import PacaConfig
import PacaCore
import PacaEngine
import PacaProtocol
import PacaSystem

extension MethodRouter {
    /// Where captures of `set` keep their stable copies (`<folder>/paca-capture-<random>/`): its
    /// `capture_dir`, else `<state_dir>/capture`.
    static func captureFolder(_ set: DaemonConfig.BackupSet?, _ config: DaemonConfig) -> String {
        set?.captureDirectory ?? config.stateDirectory + "/capture"
    }

    /// Deletes the copies a previous run left in every capture folder (its waiting captures were
    /// lost with it), and nothing else there; returns how many there were.
    static func clearCaptures(_ config: DaemonConfig) -> Int {
        let folders = Set([captureFolder(nil, config)] + config.sets.map { captureFolder($0, config) })
        var left = 0
        for folder in folders {
            for entry in (try? Syscall.entries(of: folder)) ?? [] where entry.nameText?.hasPrefix("paca-capture-") == true {
                left += 1
                try? DurableFile.removeTree(folder + "/" + (entry.nameText ?? ""))
            }
        }
        return left
    }

    /// `checkpoint.capture`: takes a stable copy of a checkpoint the trainer has finished (each
    /// file reflinked, else hard-linked, else copied, under the state folder), answers the
    /// `captured` progress notification as soon as the copy exists, then backs the copy up as
    /// a backup of its own (trigger `checkpoint`, with the step and metrics on its record).
    func captureCheckpoint(_ params: CheckpointCaptureParams, _ send: @escaping ProgressSink) async throws(RPCError)
        -> CheckpointCaptureResult
    {
        let config = await context.configuration.config
        let set = try Self.set(holding: params.path, named: params.set, in: config)
        try requireSet(set.name)
        let started = context.clock.uptime
        let folder = Self.captureFolder(set, config)
        let directory = folder + "/paca-capture-" + (0..<2).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
        let (path, paths, copy) = (params.path, set.paths, params.copy)
        let staged = await BlockingPool.shared.run { () -> Result<StagedCheckpoint, CaptureError> in
            Result { () throws(CaptureError) in
                let (root, names) = try CheckpointStager.locate(path, in: paths)
                do throws(SystemError) { try DurableFile.makeDirectories(folder) } catch {
                    throw CaptureError(.storage, "cannot make the capture folder \(folder): \(error.reason)")
                }
                return try CheckpointStager.stage(root: root, names: names, into: directory, copy: copy)
            }
        }
        let copyMade: StagedCheckpoint
        switch staged {
        case .success(let made): copyMade = made
        case .failure(let error):
            let code: RPCErrorCode =
                switch error.code {
                case .notFound: .notFound
                case .validation: .validationError
                case .storage: .storageError
                }
            throw RPCError(code, "checkpoint.capture: \(error.message)")
        }
        var summary = CaptureSummary()
        (summary.method, summary.files, summary.bytes) = (copyMade.method, copyMade.files, copyMade.bytes)
        (summary.reflinked, summary.linked, summary.copied) = (copyMade.reflinked, copyMade.linked, copyMade.copied)
        summary.seconds = ((context.clock.uptime - started).inSeconds * 1000).rounded() / 1000
        let backup = CheckpointBackup(
            source: copyMade.source, checkpoint: params.path, step: params.step, metrics: params.metrics?.values,
            rewritten: { copyMade.rewritten() }, remove: { copyMade.remove() })
        let ticket: BackupEngine.Ticket
        do { ticket = try await context.engine.requestCapture(set: set.name, backup, reason: params.reason) } catch {
            await BlockingPool.shared.run { copyMade.remove() }
            throw RPCError(error)
        }
        context.logger.info(
            "checkpoint captured",
            metadata: [
                "backup.set": "\(set.name)", "capture.method": "\(summary.method)", "capture.files": "\(summary.files)",
                "capture.bytes": "\(summary.bytes)", "capture.seconds": "\(summary.seconds)",
            ])
        if params.progress {
            var captured = Progress()
            (captured.phase, captured.files, captured.bytes) = (.captured, summary.files, summary.bytes)
            (captured.totalFiles, captured.totalBytes, captured.percent) = (summary.files, summary.bytes, 100)
            await send(captured.wire)
        }
        guard params.wait else {
            var admission = BackupAdmission()
            admission.set = ticket.set
            admission.status = ticket.isQueued ? .queued : .running
            admission.id = await context.engine.progress(of: ticket)?.id
            return CheckpointCaptureResult(capture: summary, backup: .admitted(admission))
        }
        return CheckpointCaptureResult(
            capture: summary, backup: .finished(try await awaitBackup(ticket, progress: params.progress, send: send)))
    }

    /// The set `named`, which must hold `path`, or without a name the one set whose paths hold it.
    static func set(holding path: String, named name: String?, in config: DaemonConfig) throws(RPCError) -> DaemonConfig.BackupSet {
        let holds = { (set: DaemonConfig.BackupSet) in set.paths.contains { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") } }
        if let name {
            guard let set = config.set(named: name) else {
                throw RPCError(.notFound, "no backup set named \"\(name)\" (sets: \(config.sets.map(\.name).joined(separator: ", ")))")
            }
            return set
        }
        let holding = config.sets.filter(holds)
        guard holding.count == 1 else {
            throw RPCError(
                .validationError,
                holding.isEmpty
                    ? "no set's paths hold \(path); name the set, or add the checkpoints' folder to one"
                    : "several sets hold \(path) (\(holding.map(\.name).joined(separator: ", "))); name one")
        }
        return holding[0]
    }
}
