import PacaArchive
import PacaEngine
import PacaFiles
import PacaSystem

/// How the file index reads the manifest of a backup it has no copy of (made before 0.13, or
/// after `files.sqlite` was removed): a root restore session of the backup, its archive's
/// central directory and manifest read through the engine, the manifest's bytes checked against
/// the catalog's `manifest_sha256` and written to `destination` for the index to take.
enum ManifestFetch {
    static func reading(from engine: BackupEngine) -> FileIndex.ManifestFetch {
        { (id, destination) throws(FileIndexError) in
            let grant: RestoreGrant
            do throws(EngineError) { grant = try await engine.openRestore(id, owner: 0, access: nil) } catch {
                throw FileIndexError("cannot open backup \(id): \(error.message)")
            }
            guard let own = grant.archives.first, own.backup == id else {
                _ = try? await engine.closeRestore(grant.session, caller: 0)
                throw FileIndexError("backup \(id) has no archive to read")
            }
            let archive = SessionArchive(engine: engine, session: grant.session, backup: id, caller: 0, size: own.size)
            let expected = grant.manifestSha256
            let written = await BlockingPool.shared.run { () -> Result<Void, FileIndexError> in
                let text: [UInt8]
                do throws(ArchiveError) { text = try ArchiveReader(source: archive).manifestText(expecting: expected) } catch {
                    return .failure(FileIndexError("cannot read the manifest of backup \(id): \(error.description)"))
                }
                do { try DurableFile.replace(destination, with: text) } catch {
                    return .failure(FileIndexError("cannot write \(destination): \(error)"))
                }
                return .success(())
            }
            _ = try? await engine.closeRestore(grant.session, caller: 0)
            try written.get()
        }
    }
}
