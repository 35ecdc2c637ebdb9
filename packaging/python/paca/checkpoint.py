"""Checkpoint capture: `paca.checkpoint(path, ...)` returns once pacad holds a stable copy."""

import logging
import math
import os
import threading
from typing import Any, Dict, List, Mapping, Optional

from . import errors
from .client import Client

log = logging.getLogger("paca")


class CheckpointInUse(errors.ValidationError):
    """The checkpoint still has files this process has open for writing: it is not finished."""


def files_open_for_writing(path: str) -> List[str]:
    """The files under `path` (or `path` itself) that this process has open for writing, found
    in /proc/self/fd (Linux); empty where /proc cannot tell."""
    root = os.path.realpath(path)
    found = []
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return []
    for fd in descriptors:
        try:
            target = os.readlink("/proc/self/fd/" + fd)
            if target != root and not target.startswith(root.rstrip("/") + "/"):
                continue
            with open("/proc/self/fdinfo/" + fd) as info:
                flags = next((int(line.split()[1], 8) for line in info if line.startswith("flags:")), 0)
        except (OSError, ValueError):
            continue
        if flags & (os.O_WRONLY | os.O_RDWR):
            found.append(target)
    return sorted(set(found))


def clean_metrics(metrics: Optional[Mapping[str, Any]]) -> Optional[Dict[str, float]]:
    """`metrics` as the protocol takes them: numbers only (numpy and torch scalars become
    floats), finite (a NaN loss has no JSON form; it is left out and logged), at most 64."""
    if not metrics:
        return None
    cleaned: Dict[str, float] = {}
    for name, value in metrics.items():
        if isinstance(value, bool):
            continue
        try:
            number = float(value.item() if hasattr(value, "item") else value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(number):
            log.warning("paca: metric %s is %s and is left out of the checkpoint's record", name, number)
            continue
        cleaned[str(name)] = number
    if len(cleaned) > 64:
        kept = sorted(cleaned)[:64]
        log.warning("paca: %d metrics given; the checkpoint's record keeps 64 (%s ...)", len(cleaned), ", ".join(kept[:3]))
        cleaned = {name: cleaned[name] for name in kept}
    return cleaned or None


class Checkpoint:
    """A checkpoint pacad has captured and is backing up. `wait()` returns the backup's record
    (or raises what went wrong); `captured` is the capture's counts as pacad reported them
    (files, bytes); `result` the whole answer once the backup has ended."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.captured: Dict[str, Any] = {}
        self.result: Optional[Dict[str, Any]] = None
        self.error: Optional[BaseException] = None
        self._captured = threading.Event()
        self._ended = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def done(self) -> bool:
        """Whether the backup has ended (either way)."""
        return self._ended.is_set()

    def wait(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """Waits for the backup and returns its record; raises the error it ended with, or
        `TimeoutError` when `timeout` seconds pass first (the backup goes on)."""
        if not self._ended.wait(timeout):
            raise TimeoutError("the backup of %s has not ended within %s s" % (self.path, timeout))
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result["backup"]

    @property
    def capture(self) -> Dict[str, Any]:
        """How it was captured (method, files, bytes, seconds), once the backup has ended."""
        return (self.result or {}).get("capture", {})

    def __repr__(self) -> str:
        state = "backed up" if self.done() and self.error is None else "failed" if self.done() else "backing up"
        return "<paca.Checkpoint %s %s>" % (self.path, state)


def checkpoint(
    path: str,
    set: Optional[str] = None,
    step: Optional[int] = None,
    metrics: Optional[Mapping[str, Any]] = None,
    *,
    reason: Optional[str] = None,
    copy: bool = False,
    socket: Optional[str] = None,
    timeout: Optional[float] = None,
) -> Checkpoint:
    """Hands a finished checkpoint (a folder or a file) to pacad and returns as soon as pacad
    has taken a stable copy of it (milliseconds where it can reflink or hard-link the files);
    the backup goes on in the background (`.wait()` for it). Training can then delete, rotate or
    overwrite the checkpoint without losing what was captured.

    `step` and `metrics` go on the backup's record (`backups(where="metrics.eval_loss < 0.4")`,
    and `keep_best` retention). `copy=True` copies (or reflinks) instead of hard-linking, for a
    checkpoint the trainer rewrites in place (Lightning's `last.ckpt`): a hard-linked file
    rewritten before its backup read it makes the backup partial, naming it.

    Refused before anything is sent when this process still has one of its files open for
    writing (`paca.CheckpointInUse`); refused by pacad when it is a temporary folder still being
    written (`tmp-checkpoint-*`), not inside the set's paths, or missing (`paca.ValidationError`,
    `paca.NotFound`)."""
    path = os.path.abspath(path)
    writing = files_open_for_writing(path)
    if writing:
        raise CheckpointInUse(
            "%s is still being written: this process has %s open for writing; capture it once saved and closed"
            % (path, ", ".join(writing[:3]) + (" ..." if len(writing) > 3 else "")),
            code=-32004,
            method="checkpoint.capture",
        )
    handle = Checkpoint(path)
    params = dict(set=set, step=step, metrics=clean_metrics(metrics), reason=reason, copy=copy or None)

    def on_progress(update: Dict[str, Any]) -> None:
        if update.get("phase") == "captured" and not handle._captured.is_set():
            handle.captured = update
            handle._captured.set()

    def run() -> None:
        try:
            with Client(socket=socket, timeout=timeout) as client:
                handle.result = client.checkpoint_capture(path, on_progress=on_progress, **params)
        except BaseException as error:  # handed to the caller through wait()
            handle.error = error
        finally:
            handle._ended.set()
            handle._captured.set()

    handle._thread = threading.Thread(target=run, name="paca-checkpoint", daemon=True)
    handle._thread.start()
    handle._captured.wait()
    if handle.error is not None and not handle.captured:
        # Refused before the capture: the caller hears it now, as from any call.
        raise handle.error
    return handle
