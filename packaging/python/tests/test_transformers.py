"""The Hugging Face callback against the real transformers package (its TrainingArguments,
TrainerState, TrainerControl and CallbackHandler, which import without torch) and a real pacad:
saves as the Trainer makes them, with its log history and its checkpoint rotation."""

import logging
import zipfile

import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments
from transformers.trainer_callback import CallbackHandler

import paca
from paca.integrations.transformers import PacaCallback, metrics_at


def save(output_dir, step, weights):
    """What Trainer._save_checkpoint leaves: output_dir/checkpoint-<step> with its files."""
    folder = output_dir / ("checkpoint-%d" % step)
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "trainer_state.json").write_text('{"global_step": %d}' % step)
    (folder / "optimizer.pt").write_bytes(weights[::-1])
    return folder


def rotate(output_dir, limit):
    """save_total_limit: the Trainer deletes all but the newest `limit` checkpoints."""
    saved = sorted(output_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    for old in saved[:-limit]:
        for path in old.iterdir():
            path.unlink()
        old.rmdir()


def trainer_parts(output_dir, callback):
    args = TrainingArguments(output_dir=str(output_dir), save_total_limit=2, report_to=[])
    handler = CallbackHandler([callback], model=None, processing_class=None, optimizer=None, lr_scheduler=None)
    return args, TrainerState(), TrainerControl(), handler


def test_every_saved_checkpoint_is_captured_with_its_step_and_metrics(daemon, tmp_path):
    output_dir = daemon.checkpoints / "run-42"
    callback = PacaCallback(set="checkpoints", socket=daemon.socket)
    args, state, control, handler = trainer_parts(output_dir, callback)
    handler.on_train_begin(args, state, control)
    weights = {}
    for index, eval_loss in enumerate([0.9, 0.6, 0.7, 0.4, 0.5, 0.45], start=1):
        state.global_step = index * 100
        state.epoch = index / 2
        state.log_history.append({"loss": eval_loss + 0.1, "learning_rate": 5e-5, "epoch": state.epoch, "step": state.global_step})
        state.log_history.append({"eval_loss": eval_loss, "eval_runtime": 1.5, "epoch": state.epoch, "step": state.global_step})
        weights[state.global_step] = bytes([index]) * 50_000
        save(output_dir, state.global_step, weights[state.global_step])
        handler.on_save(args, state, control)
        rotate(output_dir, args.save_total_limit)
    handler.on_train_end(args, state, control)
    assert callback.failures == [] and len(callback.captured) == 6
    with paca.Client(socket=daemon.socket) as client:
        backups = client.backups(set="checkpoints")
        assert [b["step"] for b in backups] == [100, 200, 300, 400, 500, 600]
        assert all(b["status"] == "complete" and b["trigger"] == "checkpoint" for b in backups)
        assert backups[3]["metrics"]["eval_loss"] == 0.4 and backups[3]["metrics"]["loss"] == 0.5
        assert backups[3]["reason"] == "run-42 step 400"
        good = client.backups(where="metrics.eval_loss < 0.5", sort="metrics.eval_loss")
        assert [b["step"] for b in good] == [400, 600]
        # Step 400 was rotated away by save_total_limit long ago; its backup has it whole.
        best = good[0]["id"]
        session = client.restore_open(best)
        archive = next(a for a in session["archives"] if a["backup"] == best)
        data = client.restore_read(session["session"], best, 0, archive["size"], binary=True)["bytes"]
        client.restore_close(session["session"])
    assert not (output_dir / "checkpoint-400").exists()
    copy = tmp_path / "best.zip"
    copy.write_bytes(data)
    with zipfile.ZipFile(copy) as opened:
        assert opened.read("checkpoints/run-42/checkpoint-400/model.safetensors") == weights[400]


def test_a_failed_capture_never_stops_training_unless_strict(daemon, caplog):
    output_dir = daemon.checkpoints / "run-43"
    callback = PacaCallback(set="checkpoints", socket=daemon.socket)
    args, state, control, handler = trainer_parts(output_dir, callback)
    state.global_step = 10
    # The Trainer called on_save but the folder is not there (a save to another machine's disk).
    with caplog.at_level(logging.WARNING, logger="paca"):
        handler.on_save(args, state, control)
    assert len(callback.failures) == 1 and isinstance(callback.failures[0], paca.NotFound)
    assert "was not captured" in caplog.text
    strict = PacaCallback(set="checkpoints", socket=daemon.socket, strict=True)
    args, state, control, handler = trainer_parts(output_dir, strict)
    state.global_step = 20
    with pytest.raises(paca.NotFound):
        handler.on_save(args, state, control)


def test_only_the_main_process_captures(daemon):
    output_dir = daemon.checkpoints / "run-44"
    callback = PacaCallback(set="checkpoints", socket=daemon.socket)
    args, state, control, handler = trainer_parts(output_dir, callback)
    state.global_step = 5
    state.is_world_process_zero = False
    save(output_dir, 5, b"w")
    handler.on_save(args, state, control)
    assert callback.captured == [] and callback.failures == []


def test_metrics_are_taken_from_the_log_entries_of_the_step():
    history = [
        {"loss": 1.0, "step": 10},
        {"eval_loss": 0.8, "step": 10, "eval_samples_per_second": float("nan")},
        {"loss": 0.9, "step": 20, "note": "text", "flag": True},
    ]
    assert metrics_at(history, 10) == {"loss": 1.0, "eval_loss": 0.8}
    assert metrics_at(history, 20) == {"loss": 0.9}
    assert metrics_at(history, 30) == {}
