import CZlib
import PacaCore
import PacaSystem
import Synchronization

/// The file store's append-only log. Each entry is a frame: a 4-byte big-endian length, a
/// 4-byte big-endian CRC-32 of the payload, and the payload, compact JSON: `{"put": record}` or
/// `{"delete": id}`. An entry is acknowledged only after it is written and `fdatasync`ed.
///
/// Opening replays the log. A last entry cut short by a crash (its frame runs past the end of the
/// file, or the bytes after the last good entry are all zero or fail their CRC at the end) is
/// cut off and reported; damage anywhere else stops the store with the offset named, rather than
/// silently dropping what follows. Compaction writes the live records to a new file, syncs it and
/// renames it over the log.
///
/// A write that fails (a full disk, an I/O error) is cut back: the log is truncated to its last
/// whole record and synced, so the next write lands right after it and the log never holds a torn
/// frame in its middle. If even that fails, the log takes no more writes until it is opened again.
final class RecordLog: Sendable {
    enum Item: Sendable {
        case append([UInt8])
        /// Replace the log with these frames (compaction).
        case rewrite([UInt8])
    }

    struct Replay {
        var records: [String: Record] = [:]
        /// Bytes each live record's last put takes, for deciding when to compact.
        var sizes: [String: Int] = [:]
        var totalBytes = 0
        /// Bytes of a torn last entry that were cut off.
        var truncated = 0
    }

    /// The open log: its descriptor, the length of its whole records, and whether it can be
    /// written (false after a failed write that could not be cut back).
    struct Handle {
        var fd: Int32
        var end: Int
        var isWritable = true
    }

    let path: String
    private let handle: Mutex<Handle>

    private init(path: String, descriptor: Int32, end: Int) {
        self.path = path
        handle = Mutex(Handle(fd: descriptor, end: end))
    }

    deinit { handle.withLock { Syscall.close($0.fd) } }

    static func open(_ path: String) throws(DataError) -> (RecordLog, Replay) {
        let fd: Int32
        do { fd = try Syscall.open(path, .readWrite, options: [.create, .append], permissions: 0o600) } catch { throw DataError(error) }
        let bytes: [UInt8]
        do { bytes = try Syscall.readAll(fd, path: path) } catch {
            Syscall.close(fd)
            throw DataError(error)
        }
        var replay = Replay()
        var offset = 0
        while offset < bytes.count {
            let remaining = bytes.count - offset
            let length = remaining >= 8 ? Int(readBigEndian(bytes, offset)) : 0
            let end = offset + 8 + length
            let torn = remaining < 8 || end > bytes.count || bytes[offset...].allSatisfy { $0 == 0 }
            if torn {
                replay.truncated = remaining
                break
            }
            let payload = Array(bytes[(offset + 8)..<end])
            let good = length > 0 && readBigEndian(bytes, offset + 4) == checksum(payload)
            guard good, let entry = try? JSONValue.parse(payload) else {
                if end == bytes.count {
                    replay.truncated = remaining
                    break
                }
                Syscall.close(fd)
                throw DataError(
                    .storage,
                    "the log \(path) is damaged at byte \(offset) (not a cut-off last write); move it aside to start empty, or restore it from a backup"
                )
            }
            do {
                try apply(entry, frameSize: end - offset, to: &replay)
            } catch {
                Syscall.close(fd)
                throw DataError(.storage, "the log \(path) has an unreadable entry at byte \(offset): \(error.message)")
            }
            offset = end
        }
        replay.totalBytes = offset
        if replay.truncated > 0 {
            do {
                try Syscall.ftruncate(fd, length: Int64(offset), path: path)
                try Syscall.fdatasync(fd, path: path)
            } catch {
                Syscall.close(fd)
                throw DataError(error)
            }
        }
        return (RecordLog(path: path, descriptor: fd, end: offset), replay)
    }

    private static func apply(_ entry: JSONValue, frameSize: Int, to replay: inout Replay) throws(DataError) {
        if let recordJSON = entry["put"] {
            let record = try RecordCodec.decode(recordJSON)
            replay.records[record.id] = record
            replay.sizes[record.id] = frameSize
        } else if case .string(let id)? = entry["delete"] {
            replay.records[id] = nil
            replay.sizes[id] = nil
        } else {
            throw DataError(.storage, "neither a put nor a delete")
        }
    }

    /// The frame for a put of `record`.
    static func putFrame(_ record: Record) -> [UInt8] { frame(JSONValue.object(["put": RecordCodec.encode(record)]).serialized) }

    static func deleteFrame(_ id: String) -> [UInt8] { frame(JSONValue.object(["delete": .string(id)]).serialized) }

    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(payload.count + 8)
        appendBigEndian(UInt32(payload.count), to: &bytes)
        appendBigEndian(checksum(payload), to: &bytes)
        bytes += payload
        return bytes
    }

    /// Commits `items` in order: consecutive appends as one write and one sync.
    func commit(_ items: [Item]) -> [Result<Void, DataError>] {
        var answers: [Result<Void, DataError>] = []
        var buffer: [UInt8] = []
        var waiting = 0
        func flush() {
            guard waiting > 0 else { return }
            let outcome = handle.withLock { handle in Self.append(buffer, to: &handle, path: path) }
            answers += Array(repeating: outcome, count: waiting)
            buffer.removeAll(keepingCapacity: true)
            waiting = 0
        }
        for item in items {
            switch item {
            case .append(let frame):
                buffer += frame
                waiting += 1
            case .rewrite(let frames):
                flush()
                answers.append(rewrite(frames))
            }
        }
        flush()
        return answers
    }

    private func rewrite(_ frames: [UInt8]) -> Result<Void, DataError> {
        let temporary = path + ".compact"
        let fd: Int32
        do { fd = try Syscall.open(temporary, .writeOnly, options: [.create, .truncate, .append], permissions: 0o600) } catch {
            return .failure(DataError(error))
        }
        do throws(DataError) {
            try Self.writeAll(fd, frames, path: temporary).get()
            do { try Syscall.rename(temporary, to: path) } catch { throw DataError(error) }
        } catch {
            Syscall.close(fd)
            try? Syscall.unlink(temporary)
            return .failure(error)
        }
        DurableFile.syncDirectory(of: path)
        handle.withLock { handle in
            Syscall.close(handle.fd)
            handle = Handle(fd: fd, end: frames.count)
        }
        return .success(())
    }

    /// Appends `bytes` and syncs them; on failure cuts the log back to its last whole record.
    private static func append(_ bytes: [UInt8], to handle: inout Handle, path: String) -> Result<Void, DataError> {
        guard handle.isWritable else {
            return .failure(
                DataError(
                    .storage,
                    "the log \(path) could not be cut back after a failed write, so it takes no more writes; restart pacad once the disk is fixed"
                ))
        }
        let outcome = writeAll(handle.fd, bytes, path: path)
        switch outcome {
        case .success: handle.end += bytes.count
        case .failure:
            do {
                try Syscall.ftruncate(handle.fd, length: Int64(handle.end), path: path)
                try Syscall.fdatasync(handle.fd, path: path)
            } catch {
                handle.isWritable = false
            }
        }
        return outcome
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) -> Result<Void, DataError> {
        do {
            try Syscall.writeAll(fd, bytes, path: path)
            try Syscall.fdatasync(fd, path: path)
            return .success(())
        } catch {
            return .failure(DataError(error))
        }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    static func readBigEndian(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}

/// Records as the file store and the SQLite store's exports write them.
enum RecordCodec {
    static func encode(_ record: Record) -> JSONValue {
        .object([
            "id": .string(record.id), "data": record.data, "type": .string(record.type.rawValue),
            "created_at": .int(record.createdAt), "updated_at": .int(record.updatedAt), "version": .int(record.version),
        ])
    }

    static func decode(_ json: JSONValue) throws(DataError) -> Record {
        guard case .string(let id)? = json["id"], let data = json["data"], case .string(let typeName)? = json["type"],
            let type = Record.DataType(rawValue: typeName), case .int(let created)? = json["created_at"],
            case .int(let updated)? = json["updated_at"], case .int(let version)? = json["version"]
        else { throw DataError(.storage, "a record without its id, data, type, times or version") }
        return Record(id: id, data: data, type: type, createdAt: created, updatedAt: updated, version: version)
    }
}
