"""pacad's Python client: the control protocol (docs/protocol.md) from training scripts.

    import paca

    with paca.Client() as client:
        record = client.backup_now("experiments", reason="before the sweep")
        best = client.backups(where="metrics.eval_loss < 0.4", sort="metrics.eval_loss", limit=3)

    with paca.training_run("experiments", reason="run 42"):
        train()

    saved = paca.checkpoint("out/checkpoint-500", set="checkpoints", step=500, metrics={"eval_loss": 0.31})
    saved.wait()   # optional: the backup runs on while training goes on

Standard library only; Python 3.9 or newer. docs/python.md has the whole story.
"""

from ._methods import METHODS, PROTOCOL_VERSION
from .aio import AsyncClient
from .checkpoint import Checkpoint, CheckpointInUse, checkpoint
from .client import Client
from .errors import (
    Busy,
    Conflict,
    DaemonUnavailable,
    Error,
    FrameTooLarge,
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    NotFound,
    ParseError,
    PermissionDenied,
    ProtocolError,
    StorageError,
    ValidationError,
)
from .training import TrainingRun, training_run

__version__ = "0.13.0"

__all__ = [
    "METHODS",
    "PROTOCOL_VERSION",
    "AsyncClient",
    "Busy",
    "Checkpoint",
    "CheckpointInUse",
    "Client",
    "Conflict",
    "DaemonUnavailable",
    "Error",
    "FrameTooLarge",
    "InternalError",
    "InvalidParams",
    "InvalidRequest",
    "MethodNotFound",
    "NotFound",
    "ParseError",
    "PermissionDenied",
    "ProtocolError",
    "StorageError",
    "TrainingRun",
    "ValidationError",
    "checkpoint",
    "training_run",
]
