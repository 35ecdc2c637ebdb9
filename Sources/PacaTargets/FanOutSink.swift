public import PacaArchive

/// Feeds one archive to the uploads of several targets at once, so a backup is written once
/// whatever the number of targets. A target that fails is dropped (its upload abandoned) and the
/// others go on; only when every one has failed does the archive stop. Used by the one thread
/// that writes the archive.
public final class FanOutSink: ArchiveSink {
    private var uploads: [(index: Int, upload: any ArchiveUpload)]
    /// Why each dropped upload failed, by the index it was given with.
    public private(set) var failures: [Int: String] = [:]

    public init(_ uploads: [(index: Int, upload: any ArchiveUpload)]) {
        self.uploads = uploads
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        var index = 0
        while index < uploads.count {
            do {
                try uploads[index].upload.write(bytes)
                index += 1
            } catch {
                drop(at: index, error.description)
            }
        }
        guard !uploads.isEmpty else {
            throw ArchiveError(
                .io, "no target could take the archive: " + failures.sorted { $0.key < $1.key }.map(\.value).joined(separator: "; "))
        }
    }

    /// Commits every upload still going; returns the indexes that committed. Failures join ``failures``.
    public func commitAll(sha256: String) -> [Int] {
        var committed: [Int] = []
        for (index, upload) in uploads {
            do {
                try upload.commit(sha256: sha256)
                committed.append(index)
            } catch {
                upload.abandon()
                failures[index] = error.description
            }
        }
        uploads = []
        return committed
    }

    /// Gives up every upload still going (the archive itself failed).
    public func abandonAll() {
        for (_, upload) in uploads { upload.abandon() }
        uploads = []
    }

    private func drop(at position: Int, _ reason: String) {
        let (index, upload) = uploads.remove(at: position)
        upload.abandon()
        failures[index] = reason
    }
}
