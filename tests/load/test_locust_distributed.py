"""The Locust module on one master and two workers over loopback, headless, against the local
server (issue #14 §4).

Locust runs only in subprocesses: it monkey-patches a process with gevent on import, so this
test process never imports it (checked at the end). The master's merged totals must equal the
sum of what the workers measured themselves (their own report files), Locust's own request
counts (its ``--csv`` stats, aggregated on the master from the workers' request events) must
say the same, and nothing may be lost, duplicated or out of order.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

import inspector.loadtest
from inspector.server import RealtimeServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(inspector.loadtest.__file__).with_name("locustfile.py")
#: The whole run (-t 10s plus start-up and shutdown) must end within this.
TIMEOUT_S = 55.0
VUS = 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(server: RealtimeServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "RI_LOAD_"))}
    env["SUPABASE_ANON_KEY"] = server.anon_key
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


async def _locust(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=cwd,
    )


def _locust_counts(path: Path) -> dict[str, int]:
    """Request counts per request type in Locust's ``<prefix>_stats.csv``."""
    counts: dict[str, int] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == "Aggregated":
                continue
            counts[row["Type"]] = counts.get(row["Type"], 0) + int(row["Request Count"])
    return counts


async def test_master_and_two_workers_agree_and_lose_nothing(
    server: RealtimeServer, tmp_path: Path
) -> None:
    port = str(_free_port())
    env = _env(server)
    report = tmp_path / "load.json"
    workers = [
        await _locust(
            "--worker", "--master-host", "127.0.0.1", "--master-port", port, env=env, cwd=tmp_path
        )
        for _ in range(2)
    ]
    master = await _locust(
        "BroadcastUser",
        "--master",
        "--master-bind-host",
        "127.0.0.1",
        "--master-bind-port",
        port,
        "--headless",
        "-u",
        str(VUS),
        "-r",
        "50",
        "-t",
        "10s",
        "--expect-workers",
        "2",
        "-H",
        server.url,
        "--ri-report",
        str(report),
        "--csv",
        str(tmp_path / "locust"),
        env=env,
        cwd=tmp_path,
    )
    try:
        out, _ = await asyncio.wait_for(master.communicate(), TIMEOUT_S)
        worker_out = [(await asyncio.wait_for(w.communicate(), 15.0))[0].decode() for w in workers]
    finally:
        for proc in (master, *workers):
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    text = out.decode()
    assert master.returncode == 0, text + "\n".join(worker_out)
    assert "Traceback" not in text + "".join(worker_out), text + "\n".join(worker_out)

    merged: dict[str, Any] = json.loads(report.read_text())
    total = merged["summary"]
    own = [json.loads((tmp_path / f"load.worker-{i}.json").read_text()) for i in (0, 1)]
    parts = [w["summary"] for w in own]

    # Both workers ran VUs, sent and received.
    assert sorted(w["worker_index"] for w in own) == [0, 1]
    assert all(p["vus"] == VUS // 2 and p["sent"] > 0 and p["delivered"] > 0 for p in parts)
    # The master's totals are the sum of what each worker measured itself.
    for figure in ("vus", "connections", "joins", "sent", "expected", "delivered", "rx_bytes"):
        assert total[figure] == sum(p[figure] for p in parts), figure
    assert merged["stats"]["processes"] == 2
    assert total["vus"] == VUS
    assert total["joins"] == 2 * VUS
    # Channels span machines: VU indexes interleave, so each group channel of 6 has members
    # on both workers, and each worker received in the same group channels.
    groups = [{c for c in w["stats"]["channels"] if "-group6-" in c} for w in own]
    assert groups[0] == groups[1]
    assert len(groups[0]) == VUS // 6
    # Nothing lost, duplicated or out of order; every expected delivery arrived.
    assert total["delivered"] == total["expected"] > 0
    assert (total["lost"], total["duplicated"], total["out_of_order"]) == (0, 0, 0)
    assert total["errors"] == 0
    assert merged["channel_problems"] == []
    # Locust's own statistics (the workers' request events, aggregated by the master) count
    # the same deliveries, sends, joins and connections.
    counts = _locust_counts(tmp_path / "locust_stats.csv")
    assert counts == {
        "CONNECT": VUS,
        "JOIN": 2 * VUS,
        "SEND": total["sent"],
        "RECV": total["delivered"],
    }
    # The summary is printed at the end.
    assert "Realtime Inspector load (merged from 2 process(es))" in text
    assert "locust" not in sys.modules


async def test_headless_against_a_remote_server_needs_ri_yes(tmp_path: Path) -> None:
    """As `load` needs --yes: the expected rates and quotas, exit 2, and no user connects."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "RI_LOAD_"))}
    env["SUPABASE_ANON_KEY"] = "anon-key"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = await _locust(
        "BroadcastUser",
        "--headless",
        "-u",
        "300",
        "-r",
        "100",
        "-t",
        "20s",
        "-H",
        "https://abcdefghijklmnop.supabase.invalid",
        "--csv",
        str(tmp_path / "locust"),
        env=env,
        cwd=tmp_path,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT_S)
    text = out.decode()
    assert proc.returncode == 2, text
    assert "is not on this machine" in text
    assert "300 websockets" in text
    assert "Free plan it goes over" in text
    assert "--ri-yes" in text
    assert _locust_counts(tmp_path / "locust_stats.csv") == {}


async def test_a_headless_master_refuses_a_remote_server_before_waiting_for_workers(
    tmp_path: Path,
) -> None:
    """docs/load.md: without --ri-yes the master exits 2 before any worker connects. Before,
    the check ran at test start, which a master reaches only once all --expect-workers have
    connected: it waited for them (here it gave up after --expect-workers-max-wait, exit 1)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "RI_LOAD_"))}
    env["SUPABASE_ANON_KEY"] = "anon-key"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = await _locust(
        "BroadcastUser",
        "--master",
        "--master-bind-port",
        str(_free_port()),
        "--headless",
        "--expect-workers",
        "2",
        "--expect-workers-max-wait",
        "20",
        "-u",
        "300",
        "-r",
        "100",
        "-t",
        "20s",
        "-H",
        "https://abcdefghijklmnop.supabase.invalid",
        env=env,
        cwd=tmp_path,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT_S)
    text = out.decode()
    assert proc.returncode == 2, text
    assert "is not on this machine" in text
    assert "--ri-yes" in text
    assert "Waiting for workers" not in text


async def test_a_run_is_one_workload(server: RealtimeServer, tmp_path: Path) -> None:
    """Without a User class named, Locust would mix every workload in one run (their channel
    plans would not agree): the run is refused before any user connects."""
    proc = await _locust(
        "--headless",
        "-u",
        "6",
        "-r",
        "100",
        "-t",
        "20s",
        "-H",
        server.url,
        "--csv",
        str(tmp_path / "locust"),
        env=_env(server),
        cwd=tmp_path,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT_S)
    text = out.decode()
    assert proc.returncode == 2, text
    assert "one workload per run: name one User class" in text
    assert _locust_counts(tmp_path / "locust_stats.csv") == {}


async def _get_page(port: int) -> str:
    """GET / once the web UI listens: Locust logs "Starting web interface" before its server
    binds, so a refused connection is retried (a wait on a condition; the caller's timeout
    bounds it)."""
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError:
            await asyncio.sleep(0.05)
            continue
        writer.write(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        page = await reader.read()
        writer.close()
        await writer.wait_closed()
        return page.decode(errors="replace")


async def test_the_web_ui_page_carries_no_credential(tmp_path: Path) -> None:
    """Locust's web UI puts every option's value in its page (``is_secret`` only masks the
    field): the key, the user token and the JWT secret given to the master (flags or
    environment) were readable with "view source" by anyone reaching port 8089."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "RI_LOAD_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["RI_LOAD_JWT_SECRET"] = "jwt-secret-from-the-environment"
    web_port = _free_port()
    proc = await _locust(
        "AuthUser",
        "--master",
        "--master-bind-port",
        str(_free_port()),
        "--web-host",
        "127.0.0.1",
        "--web-port",
        str(web_port),
        "-H",
        "http://127.0.0.1:9",
        "--ri-key",
        "sb_secret_key-on-the-command-line",
        "--ri-token",
        "token-on-the-command-line",
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        seen = b""
        while b"Starting web interface" not in seen:
            line = await asyncio.wait_for(proc.stdout.readline(), TIMEOUT_S)
            assert line, seen.decode()
            seen += line
        page = await asyncio.wait_for(_get_page(web_port), TIMEOUT_S)
        assert "ri_vus" in page  # the page lists the --ri-* options
        for secret in ("key-on-the-command-line", "token-on-the-command-line", "jwt-secret-from"):
            assert secret not in page
            assert secret not in seen.decode()
    finally:
        proc.kill()
        await proc.wait()


async def test_a_report_that_cannot_be_written_is_said(
    server: RealtimeServer, tmp_path: Path
) -> None:
    """--ri-report/--ri-csv that cannot be written (here: under a file) were skipped in
    silence, and a CI job lost its results without a word."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = await _locust(
        "BroadcastUser",
        "--headless",
        "-u",
        "2",
        "-r",
        "100",
        "-t",
        "5s",
        "-H",
        server.url,
        "--ri-report",
        str(blocker / "load.json"),
        "--ri-csv",
        str(blocker / "load.csv"),
        env=_env(server),
        cwd=tmp_path,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT_S)
    text = out.decode()
    assert "Realtime Inspector load" in text  # the summary itself is printed
    assert f"--ri-report: cannot write {blocker / 'load.json'}" in text
    assert f"--ri-csv: cannot write {blocker / 'load.csv'}" in text
