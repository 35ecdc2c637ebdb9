import Foundation
import PacaConfig
import PacaCore
import PacaProtocol
import PacaTestSupport
import Testing

@testable import PacaDaemon

/// Roles: who gets which, every method against every role, and sets narrowed to some callers.
@Suite struct RoleTests {
    static func user(_ uid: UInt32) -> DaemonConfig.Principal { DaemonConfig.Principal(kind: .user, id: uid, text: "uid:\(uid)") }
    static func group(_ gid: UInt32) -> DaemonConfig.Principal { DaemonConfig.Principal(kind: .group, id: gid, text: "gid:\(gid)") }

    /// uid 2001 reads, 2002 operates (and group 3000's members too), 2003 administers.
    static let policy = AccessPolicy(
        ownUID: 999, groupID: 100,
        access: DaemonConfig.Access(read: [user(2001)], operate: [user(2002), group(3000)], admin: [user(2003)]))

    @Test func rolesComeFromTheAccessListsRootAndTheOwnUser() {
        let p = Self.policy
        #expect(p.role(of: Caller(uid: 0, gid: 0)) == .admin)
        #expect(p.role(of: Caller(uid: 999, gid: 999)) == .admin)
        #expect(p.role(of: Caller(uid: 2001, gid: 2001)) == .read)
        #expect(p.role(of: Caller(uid: 2002, gid: 2002)) == .operate)
        #expect(p.role(of: Caller(uid: 2003, gid: 2003)) == .admin)
        #expect(p.role(of: Caller(uid: 2001, gid: 2001, groups: [3000])) == .operate, "the highest role that names the caller")
        #expect(p.role(of: Caller(uid: 2009, gid: 3000)) == .operate, "a primary group counts")
        #expect(p.role(of: Caller(uid: 2009, gid: 100, groups: [100])) == nil, "with access:, the socket group alone is no role")
        let plain = AccessPolicy(ownUID: 999, groupID: 100)
        #expect(plain.role(of: Caller(uid: 2009, gid: 2009, groups: [100])) == .operate, "without access:, socket group members operate")
        #expect(plain.role(of: Caller(uid: 2009, gid: 2009)) == nil)
    }

    @Test func aNarrowedSetIsForAdminsAndTheCallersItNames() {
        var p = Self.policy
        p.sets = ["vision": [Self.group(4000)]]
        #expect(p.mayUse(set: "vision", Caller(uid: 2002, gid: 2002, groups: [4000])))
        #expect(!p.mayUse(set: "vision", Caller(uid: 2002, gid: 2002)))
        #expect(p.mayUse(set: "vision", Caller(uid: 2003, gid: 2003)), "admins always can")
        #expect(p.mayUse(set: "text", Caller(uid: 2001, gid: 2001)))
        #expect(!p.mayUse(set: "text", Caller(uid: 2009, gid: 2009)), "no role, no set")
    }

    /// Every method of the contract, called by a caller of each role (and one without a role)
    /// through the router the socket uses: refused with -32005 exactly when the method needs more
    /// than the caller has. The params are deliberately not acceptable, so what is allowed answers
    /// -32602 and changes nothing.
    @Test func everyMethodAgainstEveryRole() async throws {
        let daemon = try InProcessDaemon()
        try await daemon.run { running in
            let callers: [(Role?, UInt32)] = [(.read, 2001), (.operate, 2002), (.admin, 2003), (nil, 2009)]
            for method in Methods.all {
                for (role, uid) in callers {
                    let request = RPCRequest(id: .number(1), method: method.name, params: ["not-a-param": .bool(true)])
                    let reply = await running.router.reply(to: request, caller: Caller(uid: uid, gid: uid), policy: Self.policy) { _ in }
                    let code = reply.failure?.code
                    if let role, method.role <= role {
                        #expect(
                            code == RPCErrorCode.invalidParams.rawValue, "\(method.name) as \(role): \(String(describing: reply.failure))")
                    } else {
                        #expect(code == RPCErrorCode.permissionDenied.rawValue, "\(method.name) as \(role?.rawValue ?? "nobody")")
                        #expect(reply.failure?.message.contains("uid \(uid)") == true)
                    }
                }
            }
        }
    }

    /// A set narrowed to group 4000: an operator outside it does not see its backups in the list
    /// or in status, and cannot show, verify, restore or back it up; one inside can.
    @Test func aNarrowedSetIsHiddenAndRefusedToOthers() async throws {
        let daemon = try InProcessDaemon()
        daemon.write("a.txt", Array("alpha\n".utf8))
        try await daemon.run { running in
            let made = try await daemon.call(Methods.backupCreate, BackupCreateParams())
            guard case .finished(let backup) = made else {
                Issue.record("the backup did not finish: \(made)")
                return
            }
            var policy = Self.policy
            policy.sets = [backup.set: [Self.group(4000)]]
            let outsider = Caller(uid: 2002, gid: 2002)
            let insider = Caller(uid: 2002, gid: 2002, groups: [4000])
            func call(_ method: String, _ params: [String: JSONValue], as caller: Caller) async -> RPCResponse {
                await running.router.reply(to: RPCRequest(id: .number(1), method: method, params: params), caller: caller, policy: policy) {
                    _ in
                }
            }
            let hidden = await call(Methods.backupList.name, [:], as: outsider)
            #expect(hidden.value?.members?["backups"]?.items?.isEmpty == true, "\(hidden)")
            let queried = await call(Methods.backupList.name, ["sort_by": .string("started_at")], as: outsider)
            #expect(queried.value?.members?["backups"]?.items?.isEmpty == true, "\(queried)")
            let status = await call(Methods.daemonStatus.name, [:], as: outsider)
            #expect(status.value?.members?["sets"]?.items?.isEmpty == true)
            for (method, params) in [
                (Methods.backupShow.name, ["id": JSONValue.string(backup.id)]),
                (Methods.backupVerify.name, ["id": .string(backup.id)]),
                (Methods.restoreOpen.name, ["id": .string(backup.id)]),
                (Methods.backupCreate.name, [:]),
                (Methods.triggerFire.name, ["kind": .string("emergency")]),
            ] {
                let refused = await call(method, params, as: outsider)
                #expect(refused.failure?.code == RPCErrorCode.permissionDenied.rawValue, "\(method): \(refused)")
                #expect(refused.failure?.message.contains("gid:4000") == true)
            }
            #expect(!FileManager.default.fileExists(atPath: daemon.root + "/r"))
            // Its jobs are hidden too.
            let admin = Caller(uid: 2003, gid: 2003)
            let added = await call(Methods.jobAdd.name, ["name": .string("nightly"), "every": .string("6h")], as: admin)
            #expect(added.failure == nil, "\(added)")
            #expect(await call(Methods.jobList.name, [:], as: outsider).value?.members?["jobs"]?.items?.isEmpty == true)
            #expect(await call(Methods.jobList.name, [:], as: insider).value?.members?["jobs"]?.items?.count == 1)
            let run = await call(Methods.jobRun.name, ["name": .string("nightly")], as: outsider)
            #expect(run.failure?.code == RPCErrorCode.permissionDenied.rawValue)
            let seen = await call(Methods.backupList.name, [:], as: insider)
            #expect(seen.value?.members?["backups"]?.items?.count == 1)
            let shown = await call(Methods.backupShow.name, ["id": .string(backup.id)], as: insider)
            #expect(shown.failure == nil)
            // An operator restores through a session pacactl writes from; the daemon writing
            // for them (restore.run) is for admins.
            let byDaemon = await call(
                Methods.restoreRun.name, ["id": .string(backup.id), "to": .string(daemon.root + "/r")], as: insider)
            #expect(byDaemon.failure?.code == RPCErrorCode.permissionDenied.rawValue)
            #expect(byDaemon.failure?.message.contains("needs the admin role") == true, "\(byDaemon)")
            #expect(!FileManager.default.fileExists(atPath: daemon.root + "/r"))
            let opened = await call(Methods.restoreOpen.name, ["id": .string(backup.id)], as: insider)
            let session = try #require(opened.value?.members?["session"].flatMap { if case .string(let s) = $0 { s } else { nil } })
            #expect(opened.value?.members?["restricted"] == .bool(true))
            // The session is the caller's alone: not even an admin reads through another's.
            let other = await call(
                Methods.restoreRead.name,
                ["session": .string(session), "backup": .string(backup.id), "offset": 0, "length": 16],
                as: admin)
            #expect(other.failure?.code == RPCErrorCode.notFound.rawValue, "\(other)")
            let closed = await call(Methods.restoreClose.name, ["session": .string(session)], as: insider)
            #expect(closed.failure == nil, "\(closed)")
        }
    }
}

extension RPCResponse {
    /// The error of an error reply.
    var failure: RPCError? {
        if case .error(_, let error) = self { return error }
        return nil
    }

    /// The result of a result reply.
    var value: JSONValue? {
        if case .result(_, let value) = self { return value }
        return nil
    }
}

extension JSONValue {
    var members: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    var items: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
