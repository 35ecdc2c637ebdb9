import PacaCore
import PacaProtocol

extension MethodRouter {
    /// `audit.list`: the newest matching lines of the audit log.
    func listAudit(_ params: AuditListParams) async -> AuditList {
        let (entries, next) = await context.audit.entries(
            matching: params.filter, limit: Int(params.limit ?? 100), before: params.beforeSeq)
        return AuditList(entries: entries, nextBeforeSeq: next)
    }

    /// `audit.verify`: the chain walked through every file.
    func verifyAudit() async -> AuditVerification {
        let found = await context.audit.verify()
        var result = AuditVerification()
        result.ok = found.problem == nil
        result.lines = found.lines
        result.files = found.files
        result.problem = found.problem.map { AuditProblem(file: $0.file, line: $0.line, message: $0.message) }
        return result
    }
}
