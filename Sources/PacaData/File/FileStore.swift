public import PacaCore
import PacaSystem

/// Records in memory, made durable by an append-only log (``RecordLog``): every write is synced
/// to disk before it is acknowledged, concurrent writes share one sync, and the log is compacted
/// when more than half of it is superseded. Queries run on the memory table with its indexes.
public actor FileStore: DataStore {
    public nonisolated let kind = "file"
    public nonisolated let path: String
    var table: RecordTable
    let log: RecordLog
    let committer: GroupCommit<RecordLog.Item, Result<Void, DataError>>
    let clock: DataClock
    let ids: RecordIDs
    /// Bytes each live record's last put takes in the log, and their sum (kept as they change, so
    /// deciding whether to compact costs nothing per write).
    var sizes: [String: Int]
    var liveBytes: Int
    var totalBytes: Int
    /// Bytes of a torn last write cut off when the log was opened.
    public nonisolated let recoveredBytes: Int
    static let compactionFloor = 1 << 20

    public init(path: String, indexed: [FieldPath] = [], clock: @escaping DataClock, ids: RecordIDs = RecordIDs()) async throws(DataError) {
        let (log, replay) = try await BlockingPool.shared.run { () throws(DataError) in try RecordLog.open(path) }
        self.path = path
        self.log = log
        committer = GroupCommit { log.commit($0) }
        table = RecordTable(indexed: indexed)
        for record in replay.records.values { table.store(record) }
        sizes = replay.sizes
        liveBytes = replay.sizes.values.reduce(0, +)
        totalBytes = replay.totalBytes
        recoveredBytes = replay.truncated
        self.clock = clock
        self.ids = ids
    }

    public func put(_ data: JSONValue, type: Record.DataType?, id: String?) async throws(DataError) -> Record {
        let record = try RecordWrites.new(data, type: type, id: id, in: table, clock: clock, ids: ids)
        try await write(record, previous: nil)
        return record
    }

    public func get(_ id: String) throws(DataError) -> Record {
        guard let record = table[id] else { throw RecordRules.notFound(id) }
        return record
    }

    public func update(_ id: String, data: JSONValue, type: Record.DataType?, ifVersion: Int64?) async throws(DataError) -> Record {
        let record = try RecordWrites.updated(id, data: data, type: type, ifVersion: ifVersion, in: table, clock: clock)
        try await write(record, previous: table[id])
        return record
    }

    public func delete(_ id: String, ifVersion: Int64?) async throws(DataError) -> Record {
        let record = try RecordWrites.deletable(id, ifVersion: ifVersion, in: table)
        table.remove(id)
        let previousSize = setSize(nil, of: id)
        let frame = RecordLog.deleteFrame(id)
        totalBytes += frame.count
        if case .failure(let error) = await committer.submit(.append(frame)) {
            // Not durable: undo, so memory never claims more than the disk holds.
            if table[id] == nil {
                table.store(record)
                setSize(previousSize, of: id)
            }
            throw error
        }
        await compactIfWorthIt()
        return record
    }

    public func query(_ query: Query) throws(DataError) -> [Record] {
        try RecordRules.check(query)
        return table.answer(query)
    }

    public func count() -> Int { table.count }

    /// Applies `record` in memory, logs it, and undoes it if the log could not be synced.
    private func write(_ record: Record, previous: Record?) async throws(DataError) {
        table.store(record)
        let frame = RecordLog.putFrame(record)
        let previousSize = setSize(frame.count, of: record.id)
        totalBytes += frame.count
        if case .failure(let error) = await committer.submit(.append(frame)) {
            if table[record.id]?.version == record.version {
                if let previous { table.store(previous) } else { table.remove(record.id) }
                setSize(previousSize, of: record.id)
            }
            throw error
        }
        await compactIfWorthIt()
    }

    /// Records `size` (nil: gone) as the log bytes of `id`'s last put; returns the previous one.
    @discardableResult
    private func setSize(_ size: Int?, of id: String) -> Int? {
        let previous = sizes[id]
        sizes[id] = size
        liveBytes += (size ?? 0) - (previous ?? 0)
        return previous
    }

    /// Rewrites the log with only the live records when more than half of it is superseded.
    func compactIfWorthIt() async {
        guard totalBytes > Self.compactionFloor, totalBytes > 2 * liveBytes else { return }
        await compact()
    }

    /// Rewrites the log with only the live records now, whatever the ratio.
    @discardableResult
    private func compact() async -> Result<Void, DataError> {
        var frames: [UInt8] = []
        frames.reserveCapacity(liveBytes)
        for record in table.allRecords { frames += RecordLog.putFrame(record) }
        totalBytes = frames.count
        return await committer.submit(.rewrite(frames))
    }

    /// The size of the log file as pacad last wrote it.
    public var logBytes: Int { totalBytes }
}
