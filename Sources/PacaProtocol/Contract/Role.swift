/// What a caller may do, in three levels, each including the ones before it. Every method
/// declares the role it needs; the daemon enforces it for each caller (docs/protocol.md).
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable, WireEnum {
    /// Look: status, the catalog, jobs and events, record queries.
    case read
    /// Look and act on backups: back up now, fire triggers, verify, restore.
    case operate
    /// Everything: delete, pin, prune, change jobs, reload, write records, rebuild the catalog.
    case admin

    public static func < (a: Role, b: Role) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
