"""A real pacad for the client's tests: the binary `make test` built (PACA_PACAD, else the
repository's debug build), on a configuration in a temporary folder, stopped by pid afterwards."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import paca

REPO = Path(__file__).resolve().parents[3]


def binary(name: str) -> str:
    variable = os.environ.get("PACA_" + name.upper())
    path = Path(variable) if variable else REPO / ".build" / "debug" / name
    if not path.exists():
        pytest.fail("no %s at %s: run `swift build` first, or name one with PACA_%s" % (name, path, name.upper()))
    return str(path)


class Daemon:
    """A pacad process and the folders it works on."""

    def __init__(self, root: Path, extra: str = "", config: str = "") -> None:
        self.root = root
        self.source = root / "workspace"
        self.checkpoints = root / "checkpoints"
        self.socket = str(root / "pacad.sock")
        for folder in (self.source / "configs", self.checkpoints, root / "state", root / "backups"):
            folder.mkdir(parents=True, exist_ok=True)
        (self.source / "configs" / "train.yaml").write_text("lr: 0.001\nepochs: 3\n")
        (self.source / "notes.txt").write_text("run notes\n")
        self.config = root / "pacad.yaml"
        # A whole configuration of the test's own: {root} is the test's folder.
        self.config.write_text(config.replace("{root}", str(root)) if config else
            "state_dir: %s\nsocket: %s\n"
            "targets:\n  local: {type: directory, path: %s}\n"
            "sets:\n"
            "  experiments:\n    paths: [%s]\n    triggers: [training_start, training_end]\n"
            "  checkpoints:\n    paths: [%s]\n"
            "stores:\n  app: {type: sqlite, index: [run]}\n%s"
            % (root / "state", self.socket, root / "backups", self.source, self.checkpoints, extra)
        )
        self.log = open(root / "pacad.log", "wb")
        self.process = subprocess.Popen(
            [binary("pacad"), "--config", str(self.config), "--target-check-interval", "3600"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("pacad exited with %s:\n%s" % (self.process.returncode, (root / "pacad.log").read_text()))
            try:
                with paca.Client(socket=self.socket) as client:
                    client.daemon_status()
                break
            except paca.DaemonUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def client(self) -> paca.Client:
        return paca.Client(socket=self.socket)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def daemon(tmp_path: Path):
    started = Daemon(tmp_path)
    yield started
    started.stop()


@pytest.fixture
def pacactl():
    return binary("pacactl")


@pytest.fixture
def unzip():
    found = shutil.which("unzip")
    if not found:
        pytest.fail("unzip is needed (make test-deps installs it)")
    return found
