"""A Hugging Face `TrainerCallback` that hands every checkpoint the Trainer saves to pacad.

    from paca.integrations.transformers import PacaCallback

    trainer = Trainer(..., callbacks=[PacaCallback(set="checkpoints")])

Each save becomes `paca.checkpoint(output_dir/checkpoint-<step>, step=<global step>,
metrics=<what the Trainer logged at that step>)`: the Trainer goes on as soon as pacad holds a
stable copy (milliseconds with hard links), and the backup runs beside training. A capture that
fails is logged, never raised into training, unless `strict=True`. At the end of training the
callback waits for the backups still running (`wait_at_end`).
"""

import logging
import math
import os
from typing import Any, Dict, List, Optional

try:
    from transformers import TrainerCallback
except ImportError as missing:  # pragma: no cover - the message is the point
    raise ImportError("paca.integrations.transformers needs the transformers package (pip install transformers)") from missing

from .. import errors
from ..checkpoint import Checkpoint, checkpoint

log = logging.getLogger("paca")


def metrics_at(log_history: List[Dict[str, Any]], step: int) -> Dict[str, float]:
    """What the Trainer logged at `step` (evaluation and training entries merged, later ones
    winning), numbers only: `eval_loss`, `eval_accuracy`, `loss`, `learning_rate`, `epoch`..."""
    found: Dict[str, float] = {}
    for entry in log_history:
        if entry.get("step") != step:
            continue
        for name, value in entry.items():
            if name == "step" or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                found[name] = float(value)
    return found


class PacaCallback(TrainerCallback):
    """Captures each checkpoint the Trainer saves into pacad set `set` (without it, the set
    whose paths hold the Trainer's `output_dir`). `copy=True` copies instead of hard-linking
    (for a `output_dir` whose files are rewritten in place). `socket` names pacad's socket."""

    def __init__(
        self,
        set: Optional[str] = None,
        *,
        socket: Optional[str] = None,
        copy: bool = False,
        reason: Optional[str] = None,
        strict: bool = False,
        wait_at_end: bool = True,
    ) -> None:
        self.set = set
        self.socket = socket
        self.copy = copy
        self.reason = reason
        self.strict = strict
        self.wait_at_end = wait_at_end
        self.captured: List[Checkpoint] = []
        self.failures: List[BaseException] = []

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        path = os.path.join(args.output_dir, "checkpoint-%d" % state.global_step)
        metrics = metrics_at(state.log_history, state.global_step)
        try:
            handle = checkpoint(
                path,
                set=self.set,
                step=state.global_step,
                metrics=metrics,
                reason=self.reason or ("%s step %d" % (os.path.basename(os.path.normpath(args.output_dir)), state.global_step)),
                copy=self.copy,
                socket=self.socket,
            )
        except errors.Error as error:
            self.failures.append(error)
            if self.strict:
                raise
            log.warning("paca: checkpoint %s was not captured: %s", path, error)
            return
        self.captured.append(handle)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self.wait_at_end or not state.is_world_process_zero:
            return
        for handle in self.captured:
            try:
                handle.wait()
            except errors.Error as error:
                self.failures.append(error)
                log.warning("paca: the backup of %s failed: %s", handle.path, error)
                if self.strict:
                    raise
