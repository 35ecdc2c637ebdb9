import GRDB
import GRDBSQLite
import PacaSystem

/// SQL functions pacad adds to every connection of a SQLite store, written against SQLite's C
/// API where copying each row's text into a Swift string would cost more than the work itself.
enum SQLiteFunctions {
    /// `paca_contains(text, needle)`: 1 when the bytes of `needle` occur in `text` (glibc's
    /// `memmem` over the row's own buffer, no copy). The prefilter of an unindexed `like`.
    static func install(on db: Database) {
        guard let connection = db.sqliteConnection else { return }
        sqlite3_create_function_v2(
            connection, "paca_contains", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
            { context, _, arguments in
                guard let arguments, let haystack = arguments[0], let needle = arguments[1] else {
                    sqlite3_result_int(context, 0)
                    return
                }
                let found = ByteSearch.contains(
                    sqlite3_value_blob(haystack), count: Int(sqlite3_value_bytes(haystack)), sqlite3_value_blob(needle),
                    count: Int(sqlite3_value_bytes(needle)))
                sqlite3_result_int(context, found ? 1 : 0)
            }, nil, nil, nil)
    }
}
