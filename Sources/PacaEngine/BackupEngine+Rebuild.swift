import PacaArchive
public import PacaCatalog
import PacaCore
import PacaSystem
import PacaTargets

extension BackupRecord {
    /// Takes the manifest's files, the bytes its archive holds, and the backups holding the rest.
    mutating func describe(_ manifest: ManifestSummary) {
        files = manifest.files
        bytesIn = manifest.bytes
        bytesWritten = manifest.bytesHeld
        filesReferenced = manifest.filesReferenced
        bytesReferenced = manifest.bytesReferenced
        references = manifest.referencedBackups
        type = references.isEmpty ? .full : .incremental
        base = manifest.parent
    }
}

/// An archive on a target as a rebuild reads it: its manifest, the SHA-256 of the manifest's
/// bytes (both nil for a sealed archive, which pacad cannot open), and the digest its sidecar
/// gives (nil without one).
struct Described: Sendable {
    var manifest: ManifestSummary?
    var manifestSha256: String?
    var sidecar: String?
}

extension BackupEngine {
    /// Restores the catalog from target `name`: every archive there that the catalog does not
    /// list on that target is read (its end records and manifest, with ranged reads on a bucket,
    /// and its sidecar). One the catalog never knew (or knew only as not finished) is cataloged as
    /// `unverified`, delivered there: readable, but no restore point until `backup verify`
    /// passes. A backup already cataloged elsewhere gains a delivery on this target only when the
    /// copy has the archive and manifest digests the catalog recorded; another copy is reported,
    /// never attached. Archives whose manifest does not match their name are reported, never
    /// guessed at. A sealed archive (`.zip.age`) is known by its name, size and sidecar alone:
    /// its files and references stay unknown, and it stays `unverified`.
    public func rebuildCatalog(from name: String) async throws(EngineError) -> RebuildReport {
        guard config.target(named: name) != nil else {
            throw EngineError(.notFound, "no target named \"\(name)\" (targets: \(config.targets.map(\.name).joined(separator: ", ")))")
        }
        let target = try await self.target(name).get()
        var report = RebuildReport(target: name)
        let objects: [TargetObject]
        do throws(TargetError) { objects = try await target.list() } catch { throw EngineError(error) }
        var work: [TargetObject] = []
        for object in objects {
            let parts = object.key.split(separator: "/")
            guard parts.count == 2, let id = parts.last.map({ String($0.dropLast($0.hasSuffix(".age") ? 8 : 4)) }) else {
                report.problems[object.key] = "not at <set>/<backup-id>.zip"
                continue
            }
            if let record = await catalog.record(id), record.deliveries.contains(where: { $0.target == name && $0.status == .ok }) {
                report.known += 1
            } else {
                work.append(object)
            }
        }
        // A few archives at a time: each is a handful of small reads.
        let found = await withTaskGroup(of: (TargetObject, Result<Described, EngineError>).self) { group in
            var results: [(TargetObject, Result<Described, EngineError>)] = []
            var next = 0
            func add(_ group: inout TaskGroup<(TargetObject, Result<Described, EngineError>)>) {
                guard next < work.count else { return }
                let object = work[next]
                next += 1
                group.addTask { (object, await Self.describe(object, on: target)) }
            }
            for _ in 0..<8 { add(&group) }
            while let result = await group.next() {
                results.append(result)
                add(&group)
            }
            return results
        }
        let now = Int64(clock.now())
        for (object, result) in found.sorted(by: { $0.0.key < $1.0.key }) {
            let described: Described
            switch result {
            case .success(let value): described = value
            case .failure(let error):
                report.problems[object.key] = error.message
                continue
            }
            let manifest = described.manifest
            let (set, file) = (String(object.key.split(separator: "/")[0]), object.key.split(separator: "/")[1])
            let sealed = manifest == nil
            let id = manifest?.backupID ?? String(file.dropLast(8))
            guard "\(set)/\(id).zip" == object.key || (sealed && BackupID(id)?.setName == set),
                manifest?.setName == nil || manifest?.setName == set
            else {
                report.problems[object.key] =
                    sealed
                    ? "its name is not <set>/<backup-id>.zip.age with a backup id of set \(set)"
                    : "its manifest names backup \(id) of set \(manifest?.setName ?? "-"): the name and the manifest disagree"
                continue
            }
            let delivery = Delivery(target: name, status: .ok, location: target.location(of: object.key), attempts: 1, deliveredAt: now)
            do throws(CatalogError) {
                if let known = await catalog.record(id) {
                    if let refusal = known.refusalToAttach(
                        manifestSha256: described.manifestSha256, sidecar: described.sidecar, size: object.size, sealed: sealed)
                    {
                        report.problems[object.key] = refusal
                        continue
                    }
                    try await catalog.update(id) { record in
                        record.deliveries.removeAll { $0.target == name }
                        record.deliveries.append(delivery)
                        if !record.isReadable {
                            // Known only as not finished (a crash after the upload): what the target holds, unverified.
                            record.status = .unverified
                            record.error = nil
                            if let manifest { record.describe(manifest) }
                            record.bytesStored = object.size
                            record.sha256 = described.sidecar
                            record.target = name
                            record.path = delivery.location
                        }
                    }
                    report.updated.append(id)
                } else {
                    let started = manifest.flatMap { CivilTime(rfc3339: $0.createdAt)?.unixSeconds } ?? BackupID(id)?.unixSeconds ?? now
                    var record = BackupRecord(
                        id: id, set: set, trigger: .rebuilt,
                        reason: "recovered from target \(name)"
                            + (sealed ? "; sealed: its files and references are not known to pacad" : ""),
                        startedAt: started, target: name, path: delivery.location)
                    record.status = .unverified
                    record.finishedAt = started
                    if let manifest { record.describe(manifest) }
                    (record.bytesStored, record.sha256, record.sealed) = (object.size, described.sidecar, sealed)
                    record.deliveries = [delivery]
                    try await catalog.insert(record)
                    report.added.append(id)
                }
                noteDelivery(to: name, at: now)
            } catch {
                report.problems[object.key] = error.message
            }
        }
        logger.notice(
            "catalog rebuilt from a target",
            metadata: [
                "target.name": "\(name)", "rebuild.added": "\(report.added.count)", "rebuild.updated": "\(report.updated.count)",
                "rebuild.problems": "\(report.problems.count)",
            ])
        return report
    }

    /// Records what a caller holding the identity read in sealed backup `id`, which a rebuild
    /// cataloged from its name alone (`catalog.describe`). It stays unverified: pacad can check
    /// only that the references are cataloged backups of its set.
    public func describeSealed(_ id: String, _ description: SealedDescription) async throws(EngineError) -> BackupRecord {
        guard let record = await catalog.record(id) else { throw EngineError(.notFound, "no backup with id \(id)") }
        let ids = Set(await catalog.list(set: record.set).map(\.id))
        if let refusal = description.refusal(for: record, setBackups: ids) { throw EngineError(.validation, refusal) }
        let updated: BackupRecord?
        do {
            updated = try await catalog.update(id) { record -> BackupRecord in
                record.describe(description)
                return record
            }
        } catch {
            throw EngineError(error)
        }
        guard let updated else { throw EngineError(.notFound, "no backup with id \(id)") }
        logger.info("sealed backup described by a caller", metadata: ["backup.id": "\(id)", "backup.files": "\(updated.files)"])
        return updated
    }

    /// The summary of the manifest of the archive at `object` (read one entry at a time) and the
    /// SHA-256 its sidecar gives, if it has one.
    static func describe(_ object: TargetObject, on target: any ArchiveTarget) async -> Result<Described, EngineError> {
        let isSealed = object.key.hasSuffix(".age")
        // Two streams (the directory, the manifest) and eight archives at a time: few blocks each.
        let manifest = await read(object, on: target, blocksKept: 4) { (source) throws(ArchiveError) -> (ManifestSummary, String)? in
            isSealed ? nil : try ManifestSummary.read(try ArchiveReader(source: source, readingDirectory: false))
        }
        switch manifest {
        case .failure(let error): return .failure(error)
        case .success(let read):
            let sidecar = try? await target.read(object.key + ".sha256", range: 0...199)
            let digest = sidecar.flatMap { bytes -> String? in
                let text = String(decoding: bytes, as: UTF8.self)
                guard let first = text.split(separator: " ").first, first.count == 64, first.allSatisfy(\.isHexDigit) else { return nil }
                return first.lowercased()
            }
            return .success(Described(manifest: read?.0, manifestSha256: read?.1, sidecar: digest))
        }
    }

    /// What `body` reads of the archive at `object` on `target`, on a thread of its own (the reader waits on the target's reads).
    static func read<T: Sendable>(
        _ object: TargetObject, on target: any ArchiveTarget, blocksKept: Int = 16,
        _ body: @escaping @Sendable (TargetByteSource) throws(ArchiveError) -> T
    ) async -> Result<T, EngineError> {
        let source = TargetByteSource(target: target, key: object.key, size: object.size, blocksKept: blocksKept)
        return await SystemThread.run {
            Result { () throws(ArchiveError) in try body(source) }.mapError { EngineError(.storage, $0.description, underlying: $0) }
        }
    }
}
