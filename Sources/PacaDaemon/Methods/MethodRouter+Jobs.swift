import PacaConfig
import PacaCore
import PacaEngine
import PacaScheduler
import PacaProtocol

extension MethodRouter {
    /// `job.list {}`: every job with its schedule, state and next due time.
    func listJobs(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        _ = try Params(request, allowed: [])
        return .object(["jobs": try encode(await context.scheduler.list())])
    }

    /// `job.add {name, set?, cron? | every?, jitter?, catch_up?}`: a job that persists until removed.
    func addJob(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["name", "set", "cron", "every", "jitter", "catch_up"])
        let name = try params.requiredString("name")
        guard name.count <= 64,
            name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" })
        else {
            throw RPCError(
                .invalidParams, "job.add: name \"\(name)\" is not valid: use 1-64 of a-z, 0-9, '-' and '_'",
                data: .object(["param": .string("name")]))
        }
        let config = await context.configuration.config
        let setName = try params.string("set") ?? (config.sets.count == 1 ? config.sets[0].name : nil)
        guard let setName else {
            throw RPCError(.invalidParams, "job.add: name a set (sets: \(config.sets.map(\.name).joined(separator: ", ")))")
        }
        guard config.set(named: setName) != nil else { throw RPCError(.notFound, "no backup set named \"\(setName)\"") }
        let schedule: Schedule
        switch (try params.string("cron"), try params.string("every")) {
        case (let text?, nil):
            let expression: CronExpression
            do { expression = try CronExpression(text) } catch {
                throw RPCError(.validationError, error.description, data: .object(["param": .string("cron")]))
            }
            if let zone = expression.timeZone {
                do { _ = try ZoneDatabase.zone(named: zone) } catch { throw RPCError(.validationError, error.description) }
            }
            if let never = expression.neverReason { throw RPCError(.validationError, "\"\(text)\" never fires: \(never)") }
            schedule = .cron(expression)
        case (nil, let text?):
            guard let seconds = DurationText.seconds(text), seconds >= 60 else {
                throw RPCError(.validationError, "\"\(text)\" is not an interval of a minute or more, like 30m, 6h or 1d")
            }
            schedule = .every(seconds)
        case (nil, nil): throw RPCError(.invalidParams, "job.add: give cron or every", data: .object(["param": .string("cron")]))
        default: throw RPCError(.invalidParams, "job.add: give cron or every, not both", data: .object(["param": .string("every")]))
        }
        var jitter: Int64 = 0
        if let text = try params.string("jitter") {
            guard let seconds = DurationText.seconds(text) else {
                throw RPCError(.validationError, "jitter \"\(text)\" is not a duration like 90s, 5m or 1h")
            }
            jitter = seconds
        }
        let job = DaemonConfig.Job(
            name: name, set: setName, schedule: schedule, jitter: jitter, catchUp: try params.bool("catch_up", default: true))
        let view: Scheduler.JobView
        do throws(EngineError) { view = try await context.scheduler.add(job) } catch { throw RPCError(error) }
        return try encode(view)
    }

    /// `job.remove {name}`, `job.pause {name}`, `job.resume {name}`: the job as it is afterwards.
    func changeJob(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["name"])
        let name = try params.requiredString("name")
        let scheduler = context.scheduler
        let view: Scheduler.JobView
        do throws(EngineError) {
            switch request.method {
            case "job.remove": view = try await scheduler.remove(name)
            case "job.pause": view = try await scheduler.pause(name)
            default: view = try await scheduler.resume(name)
            }
        } catch {
            throw RPCError(error)
        }
        return try encode(view)
    }

    /// `job.run {name, wait?, progress?}`: starts the job's backup now; waits for it unless `"wait": false`.
    func runJob(_ request: RPCRequest, progress send: @escaping ProgressSink) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["name", "wait", "progress"])
        let name = try params.requiredString("name")
        let ticket: BackupEngine.Ticket
        do throws(EngineError) { ticket = try await context.scheduler.runNow(name) } catch { throw RPCError(error) }
        guard try params.bool("wait", default: true) else {
            return .object(["job": .string(name), "set": .string(ticket.set), "status": .string(ticket.isQueued ? "queued" : "running")])
        }
        return try await awaitBackup(ticket, progress: try params.bool("progress", default: false), send: send)
    }

    /// `events.list {job?, limit?}`: the schedule's history, oldest first.
    func listEvents(_ request: RPCRequest) async throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["job", "limit"])
        let limit = try params.integer("limit", in: 1...1000) ?? 100
        return .object(["events": try encode(await context.scheduler.recentEvents(job: try params.string("job"), limit: Int(limit)))])
    }
}
