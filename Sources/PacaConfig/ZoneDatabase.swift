public import PacaCore
import PacaSystem

/// Reads time zone rules from the system's zone database (Debian's `tzdata`,
/// `/usr/share/zoneinfo`). Names are checked before they become paths, so `CRON_TZ=../../x`
/// cannot read files outside the database.
public enum ZoneDatabase {
    public static let directory = "/usr/share/zoneinfo"

    /// The rules of zone `name` (`Europe/Berlin`, `UTC`).
    public static func zone(named name: String) throws(ZoneError) -> ZoneRules {
        if name == "UTC" || name == "Etc/UTC" || name == "Z" { return .utc }
        guard ZoneName.isValid(Substring(name)) else { throw ZoneError(zone: name, reason: "is not a zone name like Europe/Berlin") }
        guard let bytes = readFile(directory + "/" + name) else {
            throw ZoneError(zone: name, reason: "no such zone in \(directory) (is tzdata installed?)")
        }
        return try ZoneRules(tzif: bytes, name: name)
    }

    /// The zone this process runs in: `TZ` when set (a zone name, `:name`, or a POSIX rule), else
    /// `/etc/localtime`, else UTC.
    public static func local() -> ZoneRules {
        local(tz: ProcessFacts.environment("TZ"))
    }

    /// The zone a `TZ` value names (nil: `/etc/localtime`).
    public static func local(tz: String?) -> ZoneRules {
        if let tz, !tz.isEmpty {
            let name = tz.hasPrefix(":") ? String(tz.dropFirst()) : tz
            if let zone = try? zone(named: name) { return zone }
            if let rule = try? ZoneRules(posix: tz) { return rule }
            return .utc
        }
        if let bytes = readFile("/etc/localtime"), let zone = try? ZoneRules(tzif: bytes, name: localName() ?? "localtime") {
            return zone
        }
        return .utc
    }

    /// A whole small file (zone files are a few KiB), or nil.
    private static func readFile(_ path: String) -> [UInt8]? {
        (try? DurableFile.read(path, limit: 4 << 20)) ?? nil
    }

    /// The zone name `/etc/localtime` links to, when it is a link into the database.
    private static func localName() -> String? {
        guard let bytes = try? Syscall.readlink("/etc/localtime") else { return nil }
        let target = String(decoding: bytes, as: UTF8.self)
        guard let range = target.range(of: "zoneinfo/") else { return nil }
        return String(target[range.upperBound...])
    }
}
