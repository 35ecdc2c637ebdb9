"""paca.checkpoint against a real pacad: the stable copy, the backup behind it, what is refused."""

import json
import os
import subprocess
import threading
import time
import zipfile

import pytest

import paca
from conftest import Daemon


def make_checkpoint(folder, files=8, size=64 * 1024, seed=0):
    folder.mkdir(parents=True)
    for index in range(files):
        (folder / ("shard-%d.bin" % index)).write_bytes(bytes([(seed + index) % 256]) * size)
    (folder / "trainer_state.json").write_text('{"global_step": %d}' % seed)
    return folder


def archive_names_and_bytes(daemon, client, backup_id, tmp_path):
    session = client.restore_open(backup_id)
    archive = next(a for a in session["archives"] if a["backup"] == backup_id)
    data = client.restore_read(session["session"], backup_id, 0, archive["size"], binary=True)["bytes"]
    client.restore_close(session["session"])
    copy = tmp_path / (backup_id + ".zip")
    copy.write_bytes(data)
    with zipfile.ZipFile(copy) as opened:
        assert opened.testzip() is None
        return {name: opened.read(name) for name in opened.namelist() if not name.endswith("/") and not name.startswith(".paca/")}


def test_a_checkpoint_is_captured_backed_up_and_queryable(daemon, tmp_path, pacactl):
    folder = make_checkpoint(daemon.checkpoints / "checkpoint-500", seed=5)
    saved = paca.checkpoint(str(folder), set="checkpoints", step=500, metrics={"eval_loss": 0.31, "accuracy": 0.9}, socket=daemon.socket)
    assert saved.captured["phase"] == "captured" and saved.captured["files"] == 9
    record = saved.wait(timeout=120)
    assert record["status"] == "complete" and record["trigger"] == "checkpoint"
    assert record["checkpoint"] == str(folder) and record["step"] == 500
    assert record["metrics"] == {"eval_loss": 0.31, "accuracy": 0.9}
    assert saved.capture["method"] == "hardlink" and saved.capture["linked"] == 9
    with daemon.client() as client:
        assert [b["id"] for b in client.backups(where="metrics.eval_loss < 0.4")] == [record["id"]]
        assert client.backups(where="metrics.eval_loss < 0.3") == []
        stored = archive_names_and_bytes(daemon, client, record["id"], tmp_path)
    # Stored as a backup of the whole set would store it, and only the checkpoint.
    assert sorted(stored) == sorted("checkpoints/checkpoint-500/" + p.name for p in folder.iterdir())
    assert stored["checkpoints/checkpoint-500/shard-3.bin"] == bytes([8]) * 64 * 1024
    shown = subprocess.run([pacactl, "backup", "show", record["id"], "--socket", daemon.socket], capture_output=True, text=True, check=True).stdout
    assert "step:          500" in shown and "metrics:       accuracy=0.9 eval_loss=0.31" in shown and "trigger:       checkpoint" in shown
    # The capture's copy is gone once the backup has ended.
    assert not (daemon.root / "state" / "capture").exists() or not list((daemon.root / "state" / "capture").iterdir())


def test_a_checkpoint_deleted_right_after_capture_is_still_backed_up_whole(daemon, tmp_path):
    folder = make_checkpoint(daemon.checkpoints / "checkpoint-1", files=4, size=4 << 20, seed=1)
    saved = paca.checkpoint(str(folder), set="checkpoints", step=1, socket=daemon.socket)
    # The trainer rotates it away at once (save_total_limit), as the Lightning bug did.
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    record = saved.wait(timeout=120)
    assert record["status"] == "complete" and record["files"] == 5
    with daemon.client() as client:
        stored = archive_names_and_bytes(daemon, client, record["id"], tmp_path)
    assert stored["checkpoints/checkpoint-1/shard-2.bin"] == bytes([3]) * (4 << 20)


def test_capture_while_the_trainer_writes_the_next_checkpoint(daemon, tmp_path):
    first = make_checkpoint(daemon.checkpoints / "checkpoint-100", seed=100)
    nxt = daemon.checkpoints / "tmp-checkpoint-200"
    opened = threading.Event()
    stop = threading.Event()

    def trainer():
        # Like torch.save into one large file: the file stays open for writing until it is
        # finished, rewritten in place here so that its size stays bounded.
        nxt.mkdir()
        with open(nxt / "model.safetensors", "wb") as out:
            opened.set()
            index = 0
            while not stop.is_set():
                out.seek((index % 8) * 256 * 1024)
                out.write(os.urandom(256 * 1024))
                index += 1

    writer = threading.Thread(target=trainer)
    writer.start()
    try:
        saved = paca.checkpoint(str(first), set="checkpoints", step=100, socket=daemon.socket)
        assert opened.wait(timeout=30)
        with pytest.raises(paca.CheckpointInUse) as in_use:
            paca.checkpoint(str(nxt), set="checkpoints", step=200, socket=daemon.socket)
        # This process writes it: the client refuses before asking, and names the open file.
        assert "is still being written" in str(in_use.value)
        assert "model.safetensors" in str(in_use.value)
        record = saved.wait(timeout=120)
    finally:
        stop.set()
        writer.join()
    # Closed but not yet renamed: now pacad refuses it, by its temporary name.
    with pytest.raises(paca.ValidationError) as temporary:
        paca.checkpoint(str(nxt), set="checkpoints", step=200, socket=daemon.socket)
    assert "temporary folder" in str(temporary.value)
    assert record["status"] == "complete"
    with daemon.client() as client:
        stored = archive_names_and_bytes(daemon, client, record["id"], tmp_path)
    assert all(name.startswith("checkpoints/checkpoint-100/") for name in stored)
    assert len(stored) == 9


def test_unfinished_and_foreign_paths_are_refused_with_what_is_wrong(daemon, tmp_path):
    (daemon.checkpoints / "tmp-checkpoint-7").mkdir()
    with pytest.raises(paca.ValidationError) as unrenamed:
        paca.checkpoint(str(daemon.checkpoints / "checkpoint-7"), set="checkpoints", socket=daemon.socket)
    assert "final rename" in str(unrenamed.value)
    with pytest.raises(paca.ValidationError) as temporary:
        paca.checkpoint(str(daemon.checkpoints / "tmp-checkpoint-7"), set="checkpoints", socket=daemon.socket)
    assert "temporary folder" in str(temporary.value) and temporary.value.code == -32004
    with pytest.raises(paca.NotFound):
        paca.checkpoint(str(daemon.checkpoints / "checkpoint-8"), set="checkpoints", socket=daemon.socket)
    outside = make_checkpoint(tmp_path / "elsewhere" / "checkpoint-9")
    with pytest.raises(paca.ValidationError) as foreign:
        paca.checkpoint(str(outside), set="checkpoints", socket=daemon.socket)
    assert "not inside the set's paths" in str(foreign.value)
    (daemon.checkpoints / "link").symlink_to(outside)
    with pytest.raises(paca.ValidationError) as linked:
        paca.checkpoint(str(daemon.checkpoints / "link"), set="checkpoints", socket=daemon.socket)
    assert "symbolic link" in str(linked.value)
    # Without a set name, the set whose paths hold it; a path no set holds names the problem.
    assert paca.checkpoint(str(make_checkpoint(daemon.checkpoints / "checkpoint-10")), socket=daemon.socket).wait(120)["set"] == "checkpoints"
    with pytest.raises(paca.ValidationError) as unheld:
        paca.checkpoint(str(outside), socket=daemon.socket)
    assert "no set's paths hold" in str(unheld.value)


def test_a_file_this_process_still_writes_is_refused_before_anything_is_sent(daemon):
    folder = make_checkpoint(daemon.checkpoints / "checkpoint-11")
    with open(folder / "optimizer.pt", "wb") as unfinished:
        unfinished.write(b"half")
        with pytest.raises(paca.CheckpointInUse) as refused:
            paca.checkpoint(str(folder), set="checkpoints", socket=daemon.socket)
    assert "optimizer.pt" in str(refused.value) and isinstance(refused.value, paca.ValidationError)
    with daemon.client() as client:
        assert client.backups(set="checkpoints") == []


def slow_backup_in_front(daemon, client, chunks=24):
    """Makes the set's next backup take a while (chunks of 8 MiB of random bytes to compress)
    and starts it, so captures wait behind it."""
    big = daemon.checkpoints / "dataset.bin"
    if not big.exists():
        with open(big, "wb") as out:
            for _ in range(chunks):
                out.write(os.urandom(8 << 20))
    admitted = client.backup_now("checkpoints", wait=False)
    assert admitted["status"] == "running"


def test_a_file_rewritten_in_place_before_its_backup_makes_the_backup_partial_and_copy_avoids_it(daemon):
    linked = make_checkpoint(daemon.checkpoints / "last-linked", files=1, seed=1)
    copied = make_checkpoint(daemon.checkpoints / "last-copied", files=1, seed=2)
    with daemon.client() as client:
        slow_backup_in_front(daemon, client)
        by_link = paca.checkpoint(str(linked), set="checkpoints", socket=daemon.socket)
        by_copy = paca.checkpoint(str(copied), set="checkpoints", copy=True, socket=daemon.socket)
        # Lightning's last.ckpt: the same file truncated and written again.
        for folder in (linked, copied):
            with open(folder / "shard-0.bin", "r+b") as rewrite:
                rewrite.truncate(0)
                rewrite.write(b"next epoch" * 10)
        partial = by_link.wait(timeout=300)
        whole = by_copy.wait(timeout=300)
    assert partial["status"] == "partial"
    assert any("last-linked/shard-0.bin" in line and "rewritten in place" in line for line in partial["unreadable"])
    assert whole["status"] == "complete" and by_copy.capture["method"] == "copy" and by_copy.capture["copied"] == 2


def test_captures_waiting_are_bounded(daemon):
    folders = [make_checkpoint(daemon.checkpoints / ("checkpoint-%d" % n), files=1, seed=n) for n in range(5)]
    with daemon.client() as client:
        slow_backup_in_front(daemon, client)
        waiting = [paca.checkpoint(str(f), set="checkpoints", socket=daemon.socket) for f in folders[:4]]
        with pytest.raises(paca.Busy) as refused:
            paca.checkpoint(str(folders[4]), set="checkpoints", socket=daemon.socket)
        assert "4 checkpoints" in str(refused.value)
        assert all(w.wait(timeout=300)["status"] == "complete" for w in waiting)
        # Once they are done, the next is taken.
        assert paca.checkpoint(str(folders[4]), set="checkpoints", socket=daemon.socket).wait(300)["status"] == "complete"


def test_nan_and_non_numeric_metrics_are_left_out(daemon, caplog):
    folder = make_checkpoint(daemon.checkpoints / "checkpoint-12")
    saved = paca.checkpoint(
        str(folder), set="checkpoints", step=12, metrics={"eval_loss": float("nan"), "epoch": 1.5, "note": "x", "ok": True},
        socket=daemon.socket)
    assert saved.wait(timeout=120)["metrics"] == {"epoch": 1.5}
    assert "eval_loss" in caplog.text


def test_capture_returns_in_milliseconds_while_the_backup_takes_longer(daemon):
    folder = daemon.checkpoints / "checkpoint-big"
    folder.mkdir()
    for index in range(8):
        with open(folder / ("shard-%d.bin" % index), "wb") as out:
            out.write(os.urandom(16 << 20))
    started = time.monotonic()
    saved = paca.checkpoint(str(folder), set="checkpoints", socket=daemon.socket)
    returned = time.monotonic() - started
    saved.wait(timeout=300)
    total = time.monotonic() - started
    # Not a timing target (make bench measures that): only that the call does not wait for the backup.
    assert returned < total
    assert not saved.done() or saved.capture["seconds"] < total


def test_a_capture_folder_beside_the_checkpoints_gets_the_links_and_is_left_clean(tmp_path):
    config = """
state_dir: {root}/state
socket: {root}/pacad.sock
targets:
  local: {type: directory, path: {root}/backups}
sets:
  checkpoints: {paths: [{root}/checkpoints], capture_dir: {root}/capture-here}
"""
    (tmp_path / "backups").mkdir()
    daemon = Daemon(tmp_path, config=config)
    try:
        # Something of the operator's own in the folder is never touched.
        (tmp_path / "capture-here").mkdir()
        (tmp_path / "capture-here" / "keep.txt").write_text("mine")
        folder = make_checkpoint(daemon.checkpoints / "checkpoint-1")
        saved = paca.checkpoint(str(folder), socket=daemon.socket)
        copies = [p.name for p in (tmp_path / "capture-here").iterdir() if p.name.startswith("paca-capture-")]
        assert len(copies) <= 1
        assert saved.wait(60)["status"] == "complete" and saved.capture["method"] == "hardlink"
        assert sorted(p.name for p in (tmp_path / "capture-here").iterdir()) == ["keep.txt"]
    finally:
        daemon.stop()
    # A capture left by a run that stopped is cleared at the next start, and only it.
    (tmp_path / "capture-here" / "paca-capture-0123abcd").mkdir()
    (tmp_path / "capture-here" / "paca-capture-0123abcd" / "x").write_text("left")
    daemon = Daemon(tmp_path, config=config)
    try:
        assert sorted(p.name for p in (tmp_path / "capture-here").iterdir()) == ["keep.txt"]
        assert "were dropped with it" in (tmp_path / "pacad.log").read_text()
    finally:
        daemon.stop()


@pytest.fixture
def on_xfs(tmp_path):
    """A pacad whose state folder and checkpoints are on an XFS file system (reflinks), made in
    a loop-mounted image; fails where the machine cannot mount one (make test-deps installs
    xfsprogs; tests run as root)."""
    image, mount = tmp_path / "xfs.img", tmp_path / "xfs"
    mount.mkdir()
    with open(image, "wb") as out:
        out.truncate(1 << 30)
    subprocess.run(["mkfs.xfs", "-q", "-m", "reflink=1", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True)
    try:
        started = Daemon(mount)
        try:
            yield started
        finally:
            started.stop()
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_on_a_file_system_with_reflinks_a_checkpoint_rewritten_in_place_is_backed_up_as_captured(on_xfs, tmp_path):
    daemon = on_xfs
    folder = make_checkpoint(daemon.checkpoints / "last", files=2, size=1 << 20, seed=3)
    with daemon.client() as client:
        slow_backup_in_front(daemon, client, chunks=12)
        saved = paca.checkpoint(str(folder), set="checkpoints", socket=daemon.socket)
        # Lightning's last.ckpt: rewritten in place at once, before the backup reads the capture.
        with open(folder / "shard-0.bin", "r+b") as rewrite:
            rewrite.write(b"next epoch" * 1000)
        record = saved.wait(timeout=300)
        assert saved.capture["method"] == "reflink" and saved.capture["reflinked"] == 3
        assert record["status"] == "complete" and record["unreadable"] == []
        stored = archive_names_and_bytes(daemon, client, record["id"], tmp_path)
    assert stored["checkpoints/last/shard-0.bin"] == bytes([3]) * (1 << 20)


def test_pacactl_checkpoint_for_shell_training_loops(daemon, pacactl):
    folder = make_checkpoint(daemon.checkpoints / "checkpoint-77", files=2, seed=7)
    quick = subprocess.run(
        [pacactl, "checkpoint", str(folder), "--step", "77", "--metric", "eval_loss=0.25", "--metric", "bleu=31.5",
         "--socket", daemon.socket], capture_output=True, text=True)
    assert quick.returncode == 0, quick.stderr
    assert quick.stdout.startswith("captured %s: 3 files" % folder) and "by hardlink in" in quick.stdout
    folder2 = make_checkpoint(daemon.checkpoints / "checkpoint-78", files=1, seed=8)
    waited = subprocess.run(
        [pacactl, "checkpoint", str(folder2), "--step", "78", "--copy", "--wait", "--json", "--socket", daemon.socket],
        capture_output=True, text=True, check=True)
    result = json.loads(waited.stdout)
    assert result["capture"]["method"] == "copy" and result["backup"]["status"] == "complete" and result["backup"]["step"] == 78
    bad = subprocess.run([pacactl, "checkpoint", str(folder), "--metric", "loss", "--socket", daemon.socket], capture_output=True, text=True)
    assert bad.returncode == 2 and "expected NAME=NUMBER" in bad.stderr
    refused = subprocess.run(
        [pacactl, "checkpoint", str(daemon.checkpoints / "tmp-checkpoint-9"), "--socket", daemon.socket], capture_output=True, text=True)
    assert refused.returncode == 1 and "temporary folder" in refused.stderr
    with daemon.client() as client:
        found = client.backups(where="metrics.bleu > 30")
    assert [b["step"] for b in found] == [77]
