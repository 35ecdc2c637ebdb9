"""Backups around a training run: `with paca.training_run("experiments"):`."""

import contextlib
import logging
import os
import signal
import threading
from typing import Any, Dict, Iterator, List, Optional

from . import errors
from .client import Client

log = logging.getLogger("paca")

# The protocol's limit on a reason, in characters.
REASON_LIMIT = 1000


def clean_reason(text: str) -> str:
    """`text` as the daemon takes a reason: no control characters, at most 1,000 characters."""
    cleaned = "".join(" " if (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F) else c for c in text)
    return cleaned if len(cleaned) <= REASON_LIMIT else cleaned[: REASON_LIMIT - 1] + "…"


class TrainingRun:
    """What `training_run` did: the records of the backups it asked for (`start`, `end`,
    `emergency`: the `backups` lists of their `trigger.fire` results)."""

    def __init__(self, set: Optional[str], reason: Optional[str]) -> None:
        self.set = set
        self.reason = reason
        self.start: List[Dict[str, Any]] = []
        self.end: List[Dict[str, Any]] = []
        self.emergency: List[Dict[str, Any]] = []


@contextlib.contextmanager
def training_run(
    set: Optional[str] = None,
    *,
    reason: Optional[str] = None,
    socket: Optional[str] = None,
    client: Optional[Client] = None,
    on_sigterm: bool = False,
) -> Iterator[TrainingRun]:
    """Backs `set` up before the block (trigger `training_start`, waiting for the backup, as a
    training script wants its starting point safe before it changes anything) and after it
    (`training_end`). When the block raises, the closing backup's reason names the exception,
    and the exception then goes on as if nothing stood in its way.

    The set must list the triggers in pacad.yaml (`triggers: [training_start, training_end]`);
    a set that does not is refused (`paca.ValidationError`) before the block runs. Without
    `set`, every set that lists the trigger is backed up.

    `on_sigterm=True` (for preemptible machines) installs, for the block's duration, a SIGTERM
    handler that fires the `emergency` trigger (every set, to every target), waits for it, and
    then lets SIGTERM do what it did before (end the process, by default). It must be called
    from the main thread, where Python runs signal handlers.

    A failed start backup raises (`paca.StorageError`, its record in `.data`) and the block does
    not run; a failed closing backup after a failed block is logged to the `paca` logger and the
    block's exception is the one raised."""
    own = client is None
    client = client or Client(socket=socket)
    run = TrainingRun(set, reason)
    previous: Any = None
    try:
        run.start = client.trigger_fire("training_start", set=set, reason=clean_reason(reason) if reason else None)["backups"]
        if on_sigterm:
            if threading.current_thread() is not threading.main_thread():
                raise ValueError("training_run(on_sigterm=True) must be used in the main thread, where Python handles signals")
            previous = signal.getsignal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, _emergency_handler(run, socket or client.socket_path, previous))
        try:
            yield run
        except BaseException as failure:
            if on_sigterm:
                signal.signal(signal.SIGTERM, previous)
                on_sigterm = False
            why = "%s: %s" % (type(failure).__name__, failure) if str(failure) else type(failure).__name__
            text = "%s: training failed: %s" % (reason, why) if reason else "training failed: " + why
            try:
                run.end = client.trigger_fire("training_end", set=set, reason=clean_reason(text))["backups"]
            except errors.Error as error:
                log.error("paca: the backup after the failed training run failed too: %s", error)
            raise
        if on_sigterm:
            signal.signal(signal.SIGTERM, previous)
            on_sigterm = False
        run.end = client.trigger_fire("training_end", set=set, reason=clean_reason(reason) if reason else None)["backups"]
    finally:
        if on_sigterm:
            signal.signal(signal.SIGTERM, previous)
        if own:
            client.close()


def _emergency_handler(run: TrainingRun, socket: Optional[str], previous: Any) -> Any:
    def handle(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, previous)
        text = "SIGTERM during training" + (": " + run.reason if run.reason else "")
        # A connection of its own: the main thread may be inside a call on the run's client.
        try:
            with Client(socket=socket) as emergency:
                run.emergency = emergency.trigger_fire("emergency", reason=clean_reason(text))["backups"]
        except errors.Error as error:
            log.error("paca: the emergency backup on SIGTERM failed: %s", error)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            os.kill(os.getpid(), signal.SIGTERM)

    return handle
