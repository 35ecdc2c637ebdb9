/// One tool in the comparison: how to back up the corpus, restore it and check the result.
/// Commands run in the work directory; `{corpus}`, `{out}` and `{restore}` are substituted.
struct Contender {
    var name: String
    /// Run once before each backup, unmeasured (e.g. `restic init`).
    var prepare: String?
    var backup: String
    var restore: String
    var check: String
    /// Path (relative to the work directory) whose size is the backup's size.
    var output: String
    var environment: [String: String] = [:]

    static func all(pacactl: String) -> [Contender] {
        let python = "python3"
        return [
            Contender(
                name: "pacactl archive",
                backup: "\(pacactl) archive create {out}/p.zip {corpus}",
                restore: "\(pacactl) archive extract {out}/p.zip --to {restore}",
                check: "\(pacactl) archive verify {out}/p.zip",
                output: "{out}/p.zip"),
            Contender(
                name: "zip -r -6",
                backup: "zip -r -q -6 {out}/z.zip corpus",
                restore: "unzip -q {out}/z.zip -d {restore}",
                check: "unzip -tq {out}/z.zip",
                output: "{out}/z.zip"),
            Contender(
                name: "python zipfile -6",
                backup:
                    "\(python) -c 'import os,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],\"w\",zipfile.ZIP_DEFLATED,compresslevel=6)\nfor d,_,fs in os.walk(\"corpus\"):\n  for f in fs: z.write(os.path.join(d,f))\nz.close()' {out}/py.zip",
                restore: "\(python) -c 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' {out}/py.zip {restore}",
                check: "\(python) -c 'import sys,zipfile; assert zipfile.ZipFile(sys.argv[1]).testzip() is None' {out}/py.zip",
                output: "{out}/py.zip"),
            Contender(
                name: "restic backup",
                prepare: "restic init -q --repo {out}/restic",
                backup: "restic -q --repo {out}/restic --cache-dir {out}/restic-cache backup corpus",
                restore: "restic -q --repo {out}/restic --cache-dir {out}/restic-cache restore latest --target {restore}",
                check: "restic -q --repo {out}/restic --cache-dir {out}/restic-cache check --read-data",
                output: "{out}/restic",
                environment: ["RESTIC_PASSWORD": "pacabench"]),
            Contender(
                name: "borg create lz4",
                prepare: "borg init -e none {out}/borg",
                backup: "borg create --compression lz4 {out}/borg::a corpus",
                restore: "sh -c 'mkdir -p {restore} && cd {restore} && exec borg extract {out}/borg::a'",
                check: "borg check --verify-data {out}/borg",
                output: "{out}/borg",
                environment: [
                    "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes", "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",
                    "BORG_BASE_DIR": "{out}/borg-home",
                ]),
        ]
    }
}
