import PacaArchive

/// Copies an archive file into an upload, hashing it on the way: the upload is committed only
/// when the bytes match the SHA-256 the catalog recorded, so a damaged copy never spreads.
public enum ArchiveCopy {
    public static func copy(_ path: String, into upload: any ArchiveUpload, expecting sha256: String) -> Result<Void, TargetError> {
        let result = Result { () throws(TargetError) in
            do throws(ArchiveError) {
                let digest = try FileDigest.stream(path) { (block) throws(ArchiveError) in try upload.write(block) }
                guard digest == sha256 else {
                    throw ArchiveError(.checksumMismatch, "the copy source \(path) does not match the catalog's SHA-256; not copied")
                }
                try upload.commit(sha256: sha256)
            } catch {
                throw TargetError(.storage, error.description, underlying: error)
            }
        }
        if case .failure = result { upload.abandon() }
        return result
    }
}
