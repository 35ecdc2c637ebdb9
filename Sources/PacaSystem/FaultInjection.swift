#if DEBUG
    import Synchronization

    #if canImport(Glibc)
        import Glibc
    #endif
#endif

/// System call failures on purpose, for the reliability suite (docs/reliability.md), in the spirit
/// of SQLite's fault-injecting test VFS: every file call of ``Syscall`` asks here first whether to
/// fail. Only debug builds read the plan, from `PACA_FAULT_INJECTION`; release builds (the
/// package, `make release`) compile the question to `nil` and ignore the variable.
///
/// The plan is rules separated by `;`, each `OPERATIONS:ERRNO:PATH:SKIP:COUNT`: the calls named
/// in OPERATIONS (comma-separated: `read`, `pread`, `write`, `pwrite`, `open`, `fsync`,
/// `rename`, …) on a path containing PATH let SKIP matching calls through, then fail COUNT of
/// them (0: all the rest) with ERRNO (`EIO`, `ENOSPC`, `EDQUOT`, `EROFS`, `EACCES`, or a
/// number). Example: `read,pread:EIO:/data/:100:1` fails the 101st read of a file under /data.
public enum FaultInjection {
    /// The errno the call `operation` on `path` fails with, or nil to make the call.
    @inline(__always)
    static func failure(_ operation: String, _ path: (some SystemPathConvertible)?) -> Int32? {
        #if DEBUG
            guard !plan.isEmpty, let path else { return nil }
            return decide(operation, path.displayPath)
        #else
            return nil
        #endif
    }

    #if DEBUG
        struct Rule: Equatable {
            var operations: Set<String>
            var errno: Int32
            var path: String
            var skip: Int
            var count: Int
        }

        static let plan: [Rule] = {
            guard let text = getenv("PACA_FAULT_INJECTION").map({ String(cString: $0) }), !text.isEmpty else { return [] }
            return parse(text)
        }()
        /// Matching calls seen so far, per rule.
        static let seen = Mutex<[Int]>([])

        static let names: [String: Int32] = ["EIO": EIO, "ENOSPC": ENOSPC, "EDQUOT": EDQUOT, "EROFS": EROFS, "EACCES": EACCES]

        /// The rules of `text`; a malformed rule is an error on standard error and is ignored.
        static func parse(_ text: String) -> [Rule] {
            var rules: [Rule] = []
            for rule in text.split(separator: ";") {
                let fields: [String] = rule.split(separator: ":", omittingEmptySubsequences: false).map { String($0) }
                var errno: Int32?
                if fields.count == 5 { errno = names[fields[1]] ?? Int32(fields[1]) }
                guard let errno, let skip = Int(fields[3]), let count = Int(fields[4]) else {
                    StandardStreams.writeError("pacad: PACA_FAULT_INJECTION: ignoring \"\(rule)\" (OPERATIONS:ERRNO:PATH:SKIP:COUNT)\n")
                    continue
                }
                let operations = Set(fields[0].split(separator: ",").map { String($0) })
                rules.append(Rule(operations: operations, errno: errno, path: fields[2], skip: skip, count: count))
            }
            return rules
        }

        static func decide(_ operation: String, _ path: String) -> Int32? {
            seen.withLock { seen in
                if seen.count != plan.count { seen = Array(repeating: 0, count: plan.count) }
                for (index, rule) in plan.enumerated() where rule.operations.contains(operation) && path.contains(rule.path) {
                    seen[index] += 1
                    let number = seen[index] - rule.skip
                    if number > 0 && (rule.count == 0 || number <= rule.count) { return rule.errno }
                }
                return nil
            }
        }
    #endif
}
