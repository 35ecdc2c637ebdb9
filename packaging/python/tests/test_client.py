"""The client against a real pacad: every method's round trip, the error mapping, asyncio use,
and the generated methods against the OpenRPC document (the file and the daemon's answer)."""

import asyncio
import base64
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import paca
from paca import _methods

from conftest import REPO

PYTHON_DIR = REPO / "packaging" / "python"
OPENRPC = REPO / "docs" / "protocol.openrpc.json"


def test_the_generated_methods_are_fresh(tmp_path):
    fresh = tmp_path / "_methods.py"
    subprocess.run([sys.executable, str(PYTHON_DIR / "tools" / "generate.py"), str(OPENRPC), str(fresh)], check=True)
    assert fresh.read_text() == (PYTHON_DIR / "paca" / "_methods.py").read_text(), "run `make python-client`"


def test_every_method_of_the_running_daemon_is_a_client_method_with_its_params(daemon):
    with daemon.client() as client:
        document = client.rpc_discover()
    assert document == json.loads(OPENRPC.read_text())
    names = {method["name"] for method in document["methods"]}
    assert names == set(_methods.METHODS)
    for method in document["methods"]:
        function = getattr(paca.Client, method["name"].replace(".", "_"))
        code = function.__code__
        arguments = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
        expected = [p["name"] for p in method["params"]]
        assert [a for a in arguments if a != "on_progress"] == [p for p in expected if p in arguments], method["name"]
        assert set(arguments) - {"on_progress"} == set(expected), method["name"]
        assert ("on_progress" in arguments) == bool(method.get("x-progress")), method["name"]


def test_backups_round_trip(daemon):
    with daemon.client() as client:
        status = client.daemon_status()
        assert status["version"]
        record = client.backup_now("experiments", reason="from python")
        assert record["status"] == "complete" and record["reason"] == "from python"
        assert client.backup_show(record["id"])["id"] == record["id"]
        assert client.backup_list(set="experiments")["backups"][-1]["id"] == record["id"]
        verified = client.backup_verify(record["id"])
        assert verified["ok"] is True
        pinned = client.backup_pin(record["id"], pinned=True)
        assert pinned["pinned"] is True
        assert client.backup_pin(record["id"], pinned=False)["pinned"] is False
        admitted = client.backup_now("checkpoints", wait=False)
        assert admitted["status"] in ("running", "queued")
        report = client.backup_prune(set="experiments", dry_run=True)
        assert report["dry_run"] is True and report["removed"] == []
        assert [b["id"] for b in client.backups(where='set = "experiments" and reason = "from python"')] == [record["id"]]
        assert client.backups(where='set = "nope"') == []
        deleted = client.backup_delete(record["id"])
        assert deleted["deleted"]["id"] == record["id"]
        with pytest.raises(paca.NotFound) as raised:
            client.backup_show(record["id"])
        assert raised.value.code == -32001 and record["id"] in raised.value.message


def test_progress_notifications_reach_the_callback(daemon):
    (daemon.source / "big.bin").write_bytes(bytes(range(256)) * 40000)
    seen = []
    with daemon.client() as client:
        record = client.backup_create(set="experiments", on_progress=seen.append)
    assert record["status"] == "complete"
    assert seen and all(p["phase"] in ("queued", "backup") for p in seen)


def test_a_restore_session_reads_the_archive_as_raw_frames_and_as_base64(daemon, tmp_path):
    with daemon.client() as client:
        record = client.backup_now("experiments")
        session = client.restore_open(record["id"])
        archive = session["archives"][0]
        raw = client.restore_read(session["session"], archive["backup"], 0, archive["size"], binary=True)
        assert raw["bytes"][:4] == b"PK\x03\x04" and len(raw["bytes"]) == archive["size"]
        text = client.restore_read(session["session"], archive["backup"], 0, 64)
        assert base64.b64decode(text["data"]) == raw["bytes"][:64]
        client.restore_close(session["session"])
    saved = tmp_path / "copy.zip"
    saved.write_bytes(raw["bytes"])
    with zipfile.ZipFile(saved) as opened:
        assert opened.testzip() is None
        assert any(name.endswith("configs/train.yaml") for name in opened.namelist())


def test_jobs_triggers_events_and_the_audit_log(daemon):
    with daemon.client() as client:
        job = client.job_add("hourly", set="experiments", every="1h")
        assert job["name"] == "hourly"
        assert any(j["name"] == "hourly" for j in client.job_list()["jobs"])
        assert client.job_pause("hourly")["paused"] is True
        assert client.job_resume("hourly")["paused"] is False
        ran = client.job_run("hourly")
        assert ran["status"] == "complete" and ran["trigger"] == "job:hourly"
        assert any(e["job"] == "hourly" for e in client.events_list(job="hourly")["events"])
        client.job_remove("hourly")
        fired = client.trigger_fire("training_start", set="experiments", reason="python")
        assert fired["backups"][0]["trigger"] == "training_start"
        assert client.audit_verify()["ok"] is True
        assert client.audit_list(limit=5)["entries"]


def test_the_record_store_from_python(daemon):
    with daemon.client() as client:
        stored = client.data_put("app", {"run": 42, "city": "서울"})
        assert stored["version"] == 1
        assert client.data_get("app", stored["id"])["data"]["run"] == 42
        updated = client.data_update("app", stored["id"], {"run": 43}, if_version=1)
        assert updated["version"] == 2
        with pytest.raises(paca.Conflict):
            client.data_update("app", stored["id"], {"run": 44}, if_version=1)
        found = client.data_query("app", filter="run >= 43")
        assert [r["id"] for r in found["records"]] == [stored["id"]]
        client.data_delete("app", stored["id"])
        with pytest.raises(paca.NotFound):
            client.data_get("app", stored["id"])


def test_errors_map_to_their_classes_with_the_daemon_code_and_message(daemon):
    with daemon.client() as client:
        with pytest.raises(paca.NotFound) as not_found:
            client.backup_create(set="no-such-set")
        assert "no-such-set" in str(not_found.value) and not_found.value.method == "backup.create"
        with pytest.raises(paca.InvalidParams) as bad:
            client.backup_list(filter="bytes_in >")
        assert bad.value.code == -32602 and "column" in bad.value.message
        with pytest.raises(paca.InvalidParams):
            client.backup_create(set="experiments", reason="two\nlines")
        with pytest.raises(paca.ValidationError):
            client.trigger_fire("training_start", set="checkpoints")
        with pytest.raises(paca.MethodNotFound):
            client._call("backup.nothing", {})
        assert isinstance(not_found.value, paca.Error)
        # The connection survives refusals.
        assert client.daemon_status()["version"]


def test_a_missing_daemon_is_named(tmp_path):
    with pytest.raises(paca.DaemonUnavailable) as raised:
        paca.Client(socket=str(tmp_path / "none.sock")).daemon_status()
    assert "none.sock" in str(raised.value) and raised.value.code is None


def test_the_client_reconnects_after_the_daemon_closed_an_idle_connection(daemon):
    client = daemon.client()
    client.daemon_status()
    client._sock.shutdown(1)  # as if the daemon had hung up: the next read sees end of file
    client._sock.close()
    client._sock = __import__("socket").socket(__import__("socket").AF_UNIX)
    client._sock.connect(daemon.socket)
    client._sock.shutdown(2)
    assert client.daemon_status()["version"]
    client.close()


def test_the_socket_is_found_as_pacactl_finds_it(daemon, monkeypatch, tmp_path):
    monkeypatch.setenv("PACA_SOCKET", daemon.socket)
    with paca.Client() as client:
        assert client.daemon_status()["version"]
    monkeypatch.delenv("PACA_SOCKET")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".paca").mkdir()
    (tmp_path / ".paca" / "pacad.sock").symlink_to(daemon.socket)
    with paca.Client() as client:
        assert client.daemon_status()["version"]


def test_asyncio_calls_share_one_connection_and_run_at_once(daemon):
    (daemon.source / "big.bin").write_bytes(bytes(range(256)) * 200000)

    async def main():
        async with paca.AsyncClient(socket=daemon.socket) as client:
            progress = []
            backup = asyncio.ensure_future(client.backup_create(set="experiments", on_progress=progress.append))
            statuses = await asyncio.gather(*(client.daemon_status() for _ in range(10)))
            record = await backup
            listed = await client.backups(set="experiments")
            with pytest.raises(paca.NotFound):
                await client.backup_show("20990101T000000Z-experiments-0000")
            now = await client.backup_now("checkpoints")
            return statuses, record, listed, now, progress

    statuses, record, listed, now, progress = asyncio.run(main())
    assert len(statuses) == 10 and all(s["version"] for s in statuses)
    assert record["status"] == "complete" and record["id"] in [b["id"] for b in listed]
    assert now["set"] == "checkpoints"


def test_backups_pages_through_more_than_one_answer(daemon):
    with daemon.client() as client:
        ids = [client.backup_now("checkpoints")["id"] for _ in range(3)]
        assert [b["id"] for b in client.backups(set="checkpoints")] == ids
        assert [b["id"] for b in client.backups(set="checkpoints", sort="-started_at")] == ids[::-1]
        assert [b["id"] for b in client.backups(set="checkpoints", sort="-started_at", limit=2)] == ids[:0:-1]


def test_the_package_installs_into_a_fresh_venv_and_imports_without_dependencies(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "--quiet", "--no-deps", str(PYTHON_DIR)], check=True, timeout=600)
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import paca, paca.integrations; print(paca.__version__, len(paca.METHODS))"],
        check=True,
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
    ).stdout.split()
    assert out[0] == paca.__version__ and int(out[1]) == len(_methods.METHODS)


def test_the_admin_and_maintenance_methods_round_trip(daemon, tmp_path):
    with daemon.client() as client:
        record = client.backup_now("experiments")
        reloaded = client.daemon_reload()
        assert reloaded["file"] == str(daemon.config) and "experiments" in json.dumps(reloaded["sets"])
        restored = client.restore_run(record["id"], str(tmp_path / "restored"))
        assert restored["files"] == record["files"] and (tmp_path / "restored" / "workspace" / "notes.txt").read_text() == "run notes\n"
        scrubbed = client.scrub_run(target="local", wait=True)
        assert scrubbed["started"] == ["local"] and record["id"] in scrubbed["reports"][0]["verified"]
        rebuilt = client.catalog_rebuild("local")
        assert rebuilt["target"] == "local" and rebuilt["known"] == 1 and rebuilt["added"] == [] and rebuilt["problems"] == []
        assert client.target_init("local")["target"] == "local"
        # A record pacad can read itself is no sealed one to describe: refused with the reason.
        with pytest.raises(paca.Error) as refused:
            client.catalog_describe(record["id"], "0" * 64, 1, 1, 1, 0, 0, [])
        assert isinstance(refused.value, paca.ValidationError)
        # After re-marking the target, backups still go there.
        assert client.backup_now("experiments")["status"] == "complete"


def test_every_protocol_method_has_a_round_trip_in_these_tests():
    here = Path(__file__).parent
    text = "".join(path.read_text() for path in here.glob("test_*.py"))
    # Methods the tests reach through a convenience.
    through = {"checkpoint.capture": "paca.checkpoint(", "trigger.fire": "paca.training_run("}
    missing = [
        name
        for name in _methods.METHODS
        if name.replace(".", "_") + "(" not in text and through.get(name, "\0") not in text
    ]
    assert missing == [], "methods without a round trip in packaging/python/tests: %s" % missing
