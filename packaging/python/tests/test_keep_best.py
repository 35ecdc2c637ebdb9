"""keep_best over a simulated training run, through a real pacad with two targets."""

import math
import random
import zipfile

import pytest

import paca
from conftest import Daemon

CONFIG = """
state_dir: {root}/state
socket: {root}/pacad.sock
targets:
  local:
    type: directory
    path: {root}/backups-local
    retention: {keep_best: {metric: eval_loss, mode: min, count: 3}, keep_last: 1}
  remote:
    type: directory
    path: {root}/backups-remote
    retention: {keep_last: 5}
sets:
  experiments: {paths: [{root}/workspace], targets: [local]}
  checkpoints: {paths: [{root}/checkpoints], targets: [local, remote]}
"""


@pytest.fixture
def two_targets(tmp_path):
    for folder in ("backups-local", "backups-remote"):
        (tmp_path / folder).mkdir()
    started = Daemon(tmp_path, config=CONFIG)
    yield started
    started.stop()


def by_target(report, key):
    found = {}
    for item in report[key]:
        found.setdefault(item["target"], {})[item["id"]] = item["reasons"]
    return found


def test_fifty_noisy_checkpoints_keep_the_best_three_locally_and_the_last_five_remotely(two_targets):
    daemon = two_targets
    rng = random.Random(7)
    steps = {}
    for step in range(1, 51):
        folder = daemon.checkpoints / ("checkpoint-%d" % step)
        folder.mkdir()
        weights = rng.randbytes(2048)
        (folder / "model.bin").write_bytes(weights)
        loss = 2.0 * math.exp(-step / 15) + rng.uniform(0, 0.3)
        record = paca.checkpoint(str(folder), set="checkpoints", step=step, metrics={"eval_loss": loss}, socket=daemon.socket).wait(120)
        assert record["status"] == "complete"
        # Each copy was read back before the backup counted as done.
        assert all(d["verified_at"] for d in record["deliveries"])
        steps[record["id"]] = (step, loss, weights)
        # The trainer keeps only its last two checkpoints on disk (save_total_limit=2).
        old = daemon.checkpoints / ("checkpoint-%d" % (step - 2))
        if old.exists():
            for path in old.iterdir():
                path.unlink()
            old.rmdir()
    best = sorted(steps, key=lambda i: steps[i][1])[:3]
    newest = max(steps, key=lambda i: steps[i][0])
    last_five = sorted(steps, key=lambda i: steps[i][0])[-5:]
    with paca.Client(socket=daemon.socket) as client:
        plan = client.backup_prune(set="checkpoints", dry_run=True)
        kept = by_target(plan, "kept")
        # The dry run says why each is kept.
        assert set(kept["local"]) == set(best) | {newest}
        assert all("best" in kept["local"][i] for i in best)
        assert "last" in kept["local"][newest] or "newest" in kept["local"][newest]
        assert set(kept["remote"]) == set(last_five)
        assert all("last" in kept["remote"][i] for i in last_five)
        client.backup_prune(set="checkpoints")
        left = {b["id"]: b for b in client.backups(set="checkpoints")}
        assert set(left) == set(best) | set(last_five)
        for backup_id in best:
            assert "local" in {d["target"] for d in left[backup_id]["deliveries"] if d["status"] == "ok"}
        # The best checkpoint, which the trainer deleted long ago, is still there, byte for byte.
        top = best[0]
        assert not (daemon.checkpoints / ("checkpoint-%d" % steps[top][0])).exists() or steps[top][0] >= 49
        session = client.restore_open(top)
        archive = next(a for a in session["archives"] if a["backup"] == top)
        data = client.restore_read(session["session"], top, 0, archive["size"], binary=True)["bytes"]
        client.restore_close(session["session"])
    copy = daemon.root / "best.zip"
    copy.write_bytes(data)
    with zipfile.ZipFile(copy) as opened:
        assert opened.read("checkpoints/checkpoint-%d/model.bin" % steps[top][0]) == steps[top][2]


def test_a_new_best_that_is_not_delivered_keeps_the_old_best(two_targets):
    daemon = two_targets
    first = daemon.checkpoints / "checkpoint-1"
    first.mkdir()
    (first / "model.bin").write_bytes(b"good")
    old_best = paca.checkpoint(str(first), set="checkpoints", step=1, metrics={"eval_loss": 0.5}, socket=daemon.socket).wait(60)
    # The local target's disk goes away (unmounted): the next capture reaches only the remote.
    (daemon.root / "backups-local").rename(daemon.root / "backups-local.away")
    second = daemon.checkpoints / "checkpoint-2"
    second.mkdir()
    (second / "model.bin").write_bytes(b"better")
    new_best = paca.checkpoint(str(second), set="checkpoints", step=2, metrics={"eval_loss": 0.1}, socket=daemon.socket).wait(60)
    assert [d["status"] for d in new_best["deliveries"] if d["target"] == "local"] == ["failed"]
    with paca.Client(socket=daemon.socket) as client:
        kept = by_target(client.backup_prune(set="checkpoints", dry_run=True), "kept")
    # On the local target only the old best is there, so it stays: it is the best copy there.
    assert set(kept["local"]) == {old_best["id"]} and "best" in kept["local"][old_best["id"]]
    assert set(kept["remote"]) == {old_best["id"], new_best["id"]}
