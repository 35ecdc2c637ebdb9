"""pacad's HTTP side as its users meet it: Prometheus parsing /metrics, the alert rules and the
Grafana dashboard against what pacad exports, and the dashboard in a real headless Chromium."""

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import paca
from conftest import REPO, Daemon, binary

MONITORING = REPO / "packaging" / "monitoring"

CONFIG = """state_dir: {root}/state
socket: {root}/pacad.sock
targets:
  local: {type: directory, path: {root}/backups}
sets:
  experiments:
    paths: [{root}/workspace]
    rpo: 6h
  never:
    paths: [{root}/checkpoints]
    rpo: 1h
jobs:
  nightly: {set: experiments, cron: "0 2 * * *"}
http: {listen: "127.0.0.1:0"}
"""


@pytest.fixture
def web(tmp_path: Path):
    started = Daemon(tmp_path, config=CONFIG)
    yield started
    started.stop()


def base_url(daemon: Daemon) -> str:
    with daemon.client() as client:
        login = client.web_login()
    return login["url"].split("/login")[0]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.read().decode()


def test_metrics_parse_with_prometheus_own_parser(web):
    with web.client() as client:
        client.backup_create(set="experiments")
    text = fetch(base_url(web) + "/metrics")
    families = {family.name: family for family in text_string_to_metric_families(text)}
    for name in ("paca_build_info", "paca_backup_last_success_timestamp_seconds", "paca_backup_last_attempt_timestamp_seconds",
                 "paca_backup_last_duration_seconds", "paca_backup_last_bytes", "paca_backups", "paca_target_up",
                 "paca_target_failed_deliveries", "paca_scrub_oldest_unverified_seconds", "paca_jobs_next_run_timestamp_seconds",
                 "paca_rpo_seconds", "paca_rpo_target_seconds"):
        assert name in families, name
        assert families[name].documentation, "%s has HELP" % name
        assert families[name].type == "gauge"

    def value(name, **labels):
        found = [s.value for s in families[name].samples if all(s.labels.get(k) == v for k, v in labels.items())]
        assert len(found) == 1, (name, labels, found)
        return found[0]

    assert value("paca_build_info", version=paca.Client(socket=web.socket).daemon_status()["version"]) == 1
    assert value("paca_backups", set="experiments", status="complete") == 1
    assert value("paca_rpo_target_seconds", set="experiments") == 6 * 3600
    assert 0 <= value("paca_rpo_seconds", set="experiments") < 600
    assert value("paca_rpo_seconds", set="never") == float("inf"), "no complete backup: +Inf, past any objective"
    assert value("paca_backup_last_success_timestamp_seconds", set="never") == 0
    assert value("paca_jobs_next_run_timestamp_seconds", job="nightly") > time.time()
    assert value("paca_target_up", target="local") == 1
    # Counts and times only: no backup id and no file name in any label.
    for family in families.values():
        for sample in family.samples:
            for label in sample.labels.values():
                assert not re.match(r"\d{8}T\d{6}Z-", label), label
                assert "/" not in label, label
    with web.client() as client:
        status = client.daemon_status()
    never = next(s for s in status["sets"] if s["name"] == "never")
    assert never["rpo"]["past"] is True
    assert never["rpo"].get("age_seconds") is None


def promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        pytest.fail("promtool is needed (Debian's prometheus package; make test-deps installs it)")
    return found


def test_alert_rules_parse_and_fire_as_designed():
    subprocess.run([promtool(), "check", "rules", str(MONITORING / "pacad-alerts.yml")], check=True)
    subprocess.run([promtool(), "test", "rules", "pacad-alerts.test.yml"], cwd=MONITORING, check=True)


def test_rules_and_dashboard_use_only_what_pacad_exports(web):
    exported = {family.name for family in text_string_to_metric_families(fetch(base_url(web) + "/metrics"))}
    rules = (MONITORING / "pacad-alerts.yml").read_text()
    dashboard = json.loads((MONITORING / "pacad-dashboard.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(dashboard["panels"]) >= 10 and dashboard["uid"] == "pacad-backups"
    used = set(re.findall(r"\bpaca_[a-z_]+", rules + "\n".join(expressions)))
    assert used, "the rules name pacad's metrics"
    assert used <= exported, "named but not exported: %s" % sorted(used - exported)
    for expression in expressions:
        assert 'instance=~"$instance"' in expression, expression


def test_http_connections_are_bounded(tmp_path):
    """limits.connections holds for HTTP too: a fifth connection waits in the backlog, unanswered,
    until one of four open ones closes."""
    import socket

    started = Daemon(tmp_path, config=CONFIG + "limits: {connections: 4}\n")
    try:
        host, port = base_url(started).split("//")[1].split(":")
        request = ("GET /metrics HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n" % (host, port)).encode()
        held = [socket.create_connection((host, int(port)), timeout=10) for _ in range(4)]
        time.sleep(0.5)
        waiting = socket.create_connection((host, int(port)), timeout=1.5)
        waiting.sendall(request)
        with pytest.raises(socket.timeout):
            waiting.recv(1)
        held[0].close()
        waiting.settimeout(60)
        assert waiting.recv(12) == b"HTTP/1.1 200"
        for connection in held[1:] + [waiting]:
            connection.close()
    finally:
        started.stop()


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("chromium is needed (Debian's chromium package; make test-deps installs it)")


class Browser:
    """Headless Chromium with one profile, so the session cookie of a login lasts across pages."""

    def __init__(self, profile: Path) -> None:
        self.command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--user-data-dir=%s" % profile, "--window-size=1280,900"]

    def dom(self, url: str) -> str:
        return subprocess.run(self.command + ["--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout

    def screenshot(self, url: str, path: Path) -> None:
        subprocess.run(self.command + ["--screenshot=%s" % path, url], capture_output=True, timeout=120, check=True)
        assert path.stat().st_size > 10_000


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
    JSON messages ending in a NUL byte, commands on its fd 3, answers and events on its fd 4), to
    do what a user does that `--dump-dom` cannot: click a link and let the download manager save
    what it gets."""

    def __init__(self, profile: Path) -> None:
        to_browser, self.commands = os.pipe()
        self.answers, from_browser = os.pipe()

        def descriptors() -> None:  # in the child: the pipe ends become its fds 3 and 4
            read_end, write_end = os.dup(to_browser), os.dup(from_browser)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--user-data-dir=%s" % profile, "about:blank"],
            preexec_fn=descriptors, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self.pending = b""
        self.events: list = []
        self.last_id = 0

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.commands)
        os.close(self.answers)

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self.pending:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.answers, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed its DevTools pipe")
            self.pending += chunk
        text, self.pending = self.pending.split(b"\0", 1)
        return json.loads(text)

    def call(self, method: str, params: dict = None, session: str = None) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            answer = self._message(deadline)
            if answer.get("id") != self.last_id:
                self.events.append(answer)
                continue
            assert "error" not in answer, "%s: %s" % (method, answer["error"])
            return answer["result"]

    def event(self, method: str, matching=lambda params: True, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method and matching(event["params"]):
                    return self.events.pop(index)["params"]
            self.events.append(self._message(deadline))

    def open(self, url: str) -> str:
        """A new tab showing `url`, loaded; returns its DevTools session."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=session)
        self.call("Page.navigate", {"url": url}, session=session)
        self.event("Page.loadEventFired")
        return session


def test_the_dashboard_in_a_real_browser(web, tmp_path):
    workspace = web.source
    with web.client() as client:
        first = client.backup_create(set="experiments")["id"]
        (workspace / "configs" / "train.yaml").write_text("lr: 0.0003\nepochs: 30\nwarmup: 500\n")
        (workspace / "notes.txt").unlink()
        (workspace / "eval.json").write_text('{"loss": 0.41}\n')
        second = client.backup_create(set="experiments")["id"]
        login = client.web_login()["url"]
    base = login.split("/login")[0]
    browser = Browser(tmp_path / "profile")

    overview = browser.dom(login)  # the one-time address, then the redirect to /
    assert 'data-set="experiments"' in overview and second in overview
    assert "past RPO" in overview and "within RPO" in overview
    assert "Back up now" in overview, "root is an admin"
    assert "used already or has expired" in browser.dom(login)

    backups = browser.dom(base + "/backups?where=" + urllib.request.quote('status = "complete"'))
    assert first in backups and second in backups
    bad = browser.dom(base + "/backups?where=" + urllib.request.quote("status = "))
    assert "column" in bad, "a bad filter names where it is wrong"

    # The file index takes the second backup in the background: wait for it, as a user would reload.
    history_url = base + "/history?set=experiments&path=" + urllib.request.quote("workspace/configs/train.yaml")
    history = browser.dom(history_url)
    deadline = time.monotonic() + 120
    while history.count("data-version=") < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        history = browser.dom(history_url)
    assert history.count("data-version=") == 2 and "modified" in history and "added" in history
    tree = browser.dom(base + "/backups/%s?dir=workspace" % second)
    assert "eval.json" in tree and "notes.txt" not in tree and "configs/" in tree
    diff = browser.dom(base + "/diff?from=%s&to=%s" % (first, second))
    assert "1 added, 1 modified, 1 removed" in diff
    assert "workspace/notes.txt" in diff and "workspace/eval.json" in diff
    assert "Audit log" in browser.dom(base + "/events")
    assert "download this folder as ZIP" in tree

    # The download as a user makes it: the tree's "download this folder as ZIP" link clicked in
    # the same signed-in browser, saved by Chromium's download manager.
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    chrome = DevTools(tmp_path / "profile")
    try:
        chrome.call("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": True})
        tab = chrome.open(base + "/backups/%s?dir=workspace" % second)
        clicked = chrome.call("Runtime.evaluate", {
            "expression": "(() => { const a = [...document.querySelectorAll('a[download]')]"
                          ".find(a => a.textContent.includes('this folder')); a.click(); return a.href; })()",
            "returnByValue": True}, session=tab)
        assert clicked["result"]["value"].endswith("/download?path=workspace")
        began = chrome.event("Browser.downloadWillBegin")
        done = chrome.event("Browser.downloadProgress", lambda p: p["guid"] == began["guid"] and p["state"] != "inProgress")
        assert done["state"] == "completed", done
    finally:
        chrome.close()
    archive = downloads / began["suggestedFilename"]
    assert archive.name.endswith(".zip"), archive.name
    subprocess.run(["unzip", "-t", str(archive)], check=True, capture_output=True)
    names = subprocess.run(["unzip", "-Z1", str(archive)], check=True, capture_output=True, text=True).stdout.split()
    assert "workspace/eval.json" in names and "workspace/configs/train.yaml" in names and "workspace/notes.txt" not in names
    assert "<svg" in browser.dom(base + "/charts?set=experiments")

    shots = os.environ.get("PACA_SCREENSHOTS")
    if shots:
        folder = Path(shots)
        folder.mkdir(parents=True, exist_ok=True)
        for name, path in (("overview", "/"), ("backup", "/backups/%s?dir=workspace" % second),
                           ("history", "/history?set=experiments&path=" + urllib.request.quote("workspace/configs/train.yaml")),
                           ("diff", "/diff?from=%s&to=%s" % (first, second)), ("charts", "/charts?set=experiments")):
            browser.screenshot(base + path, folder / ("dashboard-%s.png" % name))
