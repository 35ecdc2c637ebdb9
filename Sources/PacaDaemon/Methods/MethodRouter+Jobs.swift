import PacaConfig
import PacaCore
import PacaEngine
import PacaProtocol
import PacaScheduler

extension MethodRouter {
    /// `job.list`: every job with its schedule, state and next due time.
    func listJobs() async -> JobList {
        JobList(jobs: await context.scheduler.list().filter { mayUse(set: $0.set) }.map(Job.init))
    }

    /// `job.add`: a job that persists until removed.
    func addJob(_ params: JobAddParams) async throws(RPCError) -> Job {
        let name = params.name
        guard name.count <= 64,
            name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" })
        else {
            throw RPCError(
                .invalidParams, "job.add: name \"\(name)\" is not valid: use 1-64 of a-z, 0-9, '-' and '_'", data: ["param": "name"])
        }
        let config = await context.configuration.config
        guard let setName = params.set ?? (config.sets.count == 1 ? config.sets[0].name : nil) else {
            throw RPCError(.invalidParams, "job.add: name a set (sets: \(config.sets.map(\.name).joined(separator: ", ")))")
        }
        guard config.set(named: setName) != nil else { throw RPCError(.notFound, "no backup set named \"\(setName)\"") }
        let schedule: Schedule
        switch (params.cron, params.every) {
        case (let text?, nil):
            let expression: CronExpression
            do { expression = try CronExpression(text) } catch {
                throw RPCError(.validationError, error.description, data: ["param": "cron"])
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
        case (nil, nil): throw RPCError(.invalidParams, "job.add: give cron or every", data: ["param": "cron"])
        default: throw RPCError(.invalidParams, "job.add: give cron or every, not both", data: ["param": "every"])
        }
        var jitter: Int64 = 0
        if let text = params.jitter {
            guard let seconds = DurationText.seconds(text) else {
                throw RPCError(.validationError, "jitter \"\(text)\" is not a duration like 90s, 5m or 1h")
            }
            jitter = seconds
        }
        let job = DaemonConfig.Job(name: name, set: setName, schedule: schedule, jitter: jitter, catchUp: params.catchUp)
        do throws(EngineError) { return Job(try await context.scheduler.add(job)) } catch { throw RPCError(error) }
    }

    enum JobChange {
        case remove, pause, resume
    }

    /// `job.remove`, `job.pause`, `job.resume`: the job as it is afterwards (as it was, for remove).
    func changeJob(_ params: JobNameParams, _ change: JobChange) async throws(RPCError) -> Job {
        let scheduler = context.scheduler
        do throws(EngineError) {
            switch change {
            case .remove: return Job(try await scheduler.remove(params.name))
            case .pause: return Job(try await scheduler.pause(params.name))
            case .resume: return Job(try await scheduler.resume(params.name))
            }
        } catch {
            throw RPCError(error)
        }
    }

    /// `job.run`: starts the job's backup now; waits for it unless `"wait": false`.
    func runJob(_ params: JobRunParams, _ send: @escaping ProgressSink) async throws(RPCError) -> JobRunResult {
        if let job = await context.scheduler.list().first(where: { $0.name == params.name }) { try requireSet(job.set) }
        let ticket: BackupEngine.Ticket
        do throws(EngineError) { ticket = try await context.scheduler.runNow(params.name) } catch { throw RPCError(error) }
        guard params.wait else {
            var admission = JobAdmission()
            admission.job = params.name
            admission.set = ticket.set
            admission.status = ticket.isQueued ? .queued : .running
            return .admitted(admission)
        }
        return .finished(try await awaitBackup(ticket, progress: params.progress, send: send))
    }

    /// `events.list`: the schedule's history, oldest first.
    func listEvents(_ params: EventsListParams) async -> EventList {
        let limit = Int(params.limit ?? 100)
        // Events of jobs whose set is limited to other callers are left out before the limit.
        let hidden = Set(await context.scheduler.list().filter { !mayUse(set: $0.set) }.map(\.name))
        let events = await context.scheduler.recentEvents(job: params.job, limit: hidden.isEmpty ? limit : Int.max)
        return EventList(events: events.filter { !hidden.contains($0.job) }.suffix(limit).map(JobEvent.init))
    }
}
