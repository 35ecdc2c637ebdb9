import ArgumentParser
import Foundation
import PacaProtocol

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Hand pacad a checkpoint the trainer has finished: a stable copy now, its backup behind it.",
        discussion: """
            Returns once pacad holds a stable copy (hard links or reflinks: milliseconds), unless --wait. \
            From a shell training loop: `python train.py --save-to out/checkpoint-500 && pacactl checkpoint out/checkpoint-500 \
            --set checkpoints --step 500 --metric eval_loss=0.31`. docs/python.md has the details.
            """)

    @Argument(help: "The checkpoint: a folder or a file inside one of the set's paths.")
    var path: String

    @Option(help: "The set whose paths hold it (default: the one set that does).")
    var set: String?

    @Option(help: "The training step it was saved at.")
    var step: Int64?

    @Option(name: .customLong("metric"), help: "A metric, NAME=NUMBER (repeatable): queryable as metrics.NAME, ranked by keep_best.")
    var metrics: [String] = []

    @Option(help: "Why, recorded in the catalog.")
    var reason: String?

    @Flag(help: "Copy (or reflink) every file instead of hard-linking: for checkpoints rewritten in place.")
    var copy = false

    @Flag(help: "Wait for the backup to end and print it.")
    var wait = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var params = CheckpointCaptureParams()
        params.path = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        (params.set, params.step, params.reason, params.copy, params.wait) = (set, step, reason, copy, wait)
        params.progress = wait
        var values: [String: Double] = [:]
        for metric in metrics {
            let parts = metric.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let value = Double(parts[1]), value.isFinite else {
                throw ValidationError("--metric \(metric): expected NAME=NUMBER, like eval_loss=0.31")
            }
            values[parts[0]] = value
        }
        if !values.isEmpty { params.metrics = Metrics(values) }
        let reply = try daemon.call(Methods.checkpointCapture, params, progressLabel: wait ? "backing up" : nil)
        if daemon.json { return daemon.printResult(reply) }
        let capture = reply.result.capture
        print(
            "captured \(params.path): \(count(capture.files, "file")), \(ByteCount.format(capture.bytes)) by \(capture.method) in \(Int((capture.seconds * 1000).rounded())) ms"
        )
        switch reply.result.backup {
        case .admitted(let admission):
            print("backup of \(admission.set) \(admission.status.rawValue)" + (admission.id.map { ": \($0)" } ?? ""))
        case .finished(let backup):
            BackupSummary.print(backup)
            try BackupSummary.failIfPartial([backup])
        }
    }
}
