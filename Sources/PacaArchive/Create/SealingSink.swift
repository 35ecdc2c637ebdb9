import Crypto
import PacaAge

/// Seals an archive with age on its way to `sink`: the ZIP goes in, an age file comes out, and
/// the SHA-256 the sidecar records is that of the age file, so `sha256sum -c` checks what is
/// stored without a key. Holds at most one 64 KiB chunk besides what the sink buffers.
final class SealingSink: ArchiveSink {
    private let sink: any ArchiveSink
    private var sealer: AgeSealer
    private var hasher = SHA256()
    private var isStarted = false
    /// Bytes handed to `sink` so far.
    private(set) var size: UInt64 = 0

    init(_ sink: any ArchiveSink, recipients: [AgeRecipient]) throws(ArchiveError) {
        self.sink = sink
        do { sealer = try AgeSealer(recipients: recipients) } catch {
            throw ArchiveError(.invalidArgument, "cannot encrypt the archive: \(error.message)")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        try start()
        try pass(sealer.seal(bytes))
    }

    /// Seals the last chunk; returns the SHA-256 (hex) and size of the whole age file.
    func finish() throws(ArchiveError) -> (sha256: String, size: UInt64) {
        try start()
        try pass(sealer.finish())
        return (hasher.finalize().hexString, size)
    }

    private func start() throws(ArchiveError) {
        guard !isStarted else { return }
        isStarted = true
        try pass(sealer.header)
    }

    private func pass(_ bytes: [UInt8]) throws(ArchiveError) {
        guard !bytes.isEmpty else { return }
        try bytes.withBytes { (raw) throws(ArchiveError) in
            hasher.update(bufferPointer: raw)
            try sink.write(raw)
        }
        size += UInt64(bytes.count)
    }
}
