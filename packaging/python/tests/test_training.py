"""paca.training_run against a real pacad: on success, on an exception, on SIGTERM."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import paca


def triggers(client, set_name):
    return [(b["trigger"], b["reason"]) for b in client.backups(set=set_name)]


def test_a_run_is_backed_up_before_and_after(daemon):
    with daemon.client() as client:
        with paca.training_run("experiments", reason="run 42", client=client) as run:
            # The starting point is safe before the block runs.
            assert [b["trigger"] for b in client.backups(set="experiments")] == ["training_start"]
            (daemon.source / "model.bin").write_bytes(b"weights" * 1000)
        assert run.start[0]["status"] == "complete" and run.end[0]["status"] == "complete"
        assert triggers(client, "experiments") == [("training_start", "run 42"), ("training_end", "run 42")]
        assert run.end[0]["files"] == run.start[0]["files"] + 1


def test_a_failed_run_is_backed_up_with_the_exception_named_and_the_exception_goes_on(daemon):
    with daemon.client() as client:
        with pytest.raises(ZeroDivisionError):
            with paca.training_run("experiments", reason="run 43", client=client):
                1 / 0
        ended = client.backups(set="experiments")[-1]
        assert ended["trigger"] == "training_end"
        assert ended["reason"] == "run 43: training failed: ZeroDivisionError: division by zero"


def test_an_exception_with_control_characters_and_a_long_message_still_gets_its_backup(daemon):
    with daemon.client() as client:
        with pytest.raises(RuntimeError):
            with paca.training_run("experiments", client=client):
                raise RuntimeError("line one\nline two\t" + "x" * 5000)
        reason = client.backups(set="experiments")[-1]["reason"]
        assert reason.startswith("training failed: RuntimeError: line one line two ")
        assert len(reason) == 1000 and "\n" not in reason


def test_a_set_that_does_not_take_the_trigger_is_refused_before_the_block_runs(daemon):
    ran = []
    with pytest.raises(paca.ValidationError) as raised:
        with paca.training_run("checkpoints", socket=daemon.socket):
            ran.append(True)
    assert not ran and "checkpoints" in str(raised.value)


def test_sigterm_fires_an_emergency_backup_then_ends_the_process_as_sigterm_does(daemon, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, time
            import paca
            with paca.training_run("experiments", reason="preemptible run", socket=sys.argv[1], on_sigterm=True):
                print("training", flush=True)
                time.sleep(120)
            print("not reached", flush=True)
            """
        )
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen([sys.executable, str(script), daemon.socket], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout.readline().strip() == "training"
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGTERM and "not reached" not in out
    with daemon.client() as client:
        emergency = [b for b in client.backups() if b["trigger"] == "emergency"]
    # Every set, each complete, the reason naming the signal and the run.
    assert sorted(b["set"] for b in emergency) == ["checkpoints", "experiments"]
    assert all(b["status"] == "complete" and b["reason"] == "SIGTERM during training: preemptible run" for b in emergency)


def test_sigterm_hands_over_to_the_handler_that_was_there_before(daemon):
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with paca.training_run("experiments", socket=daemon.socket, on_sigterm=True) as run:
            os.kill(os.getpid(), signal.SIGTERM)
            deadline = time.monotonic() + 60
            while not seen and time.monotonic() < deadline:
                time.sleep(0.01)
        assert seen == [signal.SIGTERM]
        assert sorted(b["set"] for b in run.emergency) == ["checkpoints", "experiments"]
        # After the block the handler in force before it is back.
        assert getattr(signal.getsignal(signal.SIGTERM), "__name__", None) == "<lambda>"
    finally:
        signal.signal(signal.SIGTERM, previous)
