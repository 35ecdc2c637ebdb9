import PacaCore
import PacaEngine
import PacaSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A JSON document in the state directory (`schedule.json`): read once at start, replaced whole
/// on every change through ``DurableFile/replace(_:with:permissions:)``. Saves go through one at a
/// time in call order on the blocking pool, so the cooperative pool never blocks on the disk and
/// the file always ends with the latest state even when saves overlap.
final class StateDocument: Sendable {
    let path: String
    private let saves = SerialGate()

    init(path: String) {
        self.path = path
    }

    /// The bytes of the file, or nil when it does not exist (read off the cooperative pool).
    func read() async throws(EngineError) -> [UInt8]? {
        let path = self.path
        do { return try await BlockingPool.shared.run { () throws(SystemError) in try DurableFile.read(path) } } catch {
            throw EngineError(.storage, "\(path) cannot be read: \(error)", underlying: error)
        }
    }

    /// Decodes `bytes` read from this file; a damaged file is a storage error naming it and `remedy`.
    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], remedy: String) throws(EngineError) -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw EngineError(.storage, "\(path) is damaged (\(error)); \(remedy)", underlying: error)
        }
    }

    /// Encodes `value` (sorted keys, indented) and replaces the file durably.
    func save(_ value: some Encodable) async throws(EngineError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(value)) } catch {
            throw EngineError(.storage, "cannot encode \(path): \(error)", underlying: error)
        }
        let path = self.path
        try await saves.run { () async throws(EngineError) in
            do { try await BlockingPool.shared.run { () throws(SystemError) in try DurableFile.replace(path, with: bytes) } } catch {
                throw EngineError(.storage, "\(path) cannot be written: \(error)", underlying: error)
            }
        }
    }
}
