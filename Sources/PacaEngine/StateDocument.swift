import PacaData
import PacaCore
import Dispatch

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A JSON document in the state directory (`catalog.json`, `schedule.json`): read once at start,
/// replaced whole on every change through ``StateFile/replace(_:with:mode:)``. Writes go through a
/// serial queue of the document's own, in call order, so the cooperative pool never blocks on the
/// disk and the file always ends with the latest state even when saves overlap.
final class StateDocument: Sendable {
    let path: String
    private let disk: DispatchQueue

    init(path: String) {
        self.path = path
        disk = DispatchQueue(label: "paca.state." + path)
    }

    /// The bytes of the file, or nil when it does not exist (read off the cooperative pool).
    func read() async throws(EngineError) -> [UInt8]? {
        let path = self.path
        let loaded = await BlockingWork.run("state-read") { () -> Result<[UInt8]?, EngineError> in
            Result { () throws(EngineError) in try StateFile.read(path) }
        }
        return try loaded.get()
    }

    /// Decodes `bytes` read from this file; a damaged file is a storage error naming it and `remedy`.
    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], remedy: String) throws(EngineError) -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw EngineError(.storage, "\(path) is damaged (\(error)); \(remedy)")
        }
    }

    /// Encodes `value` (sorted keys, indented) and replaces the file durably.
    func save(_ value: some Encodable) async throws(EngineError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(value)) } catch { throw EngineError(.storage, "cannot encode \(path): \(error)") }
        let path = self.path
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, EngineError>, Never>) in
            disk.async { continuation.resume(returning: Result { () throws(EngineError) in try StateFile.replace(path, with: bytes) }) }
        }
        try result.get()
    }
}
