"""``realtime-inspector load`` as a user runs it (issue #14 §1-§3): subprocesses against the
local server over real sockets, small runs (20 VUs, 2 s of sending). The exit code follows the
thresholds, ``--workers 2`` merges two processes' results, the report is strict JSON, bad
thresholds and a remote target without --yes are refused. No timing in the assertions."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import cli_env, start, strict_json

from inspector.client.load import LoadStats
from inspector.protocol.server_events import BroadcastPushed
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.config import CLI_DEV_SECRET

#: A load run takes ramp-up + sending + drain plus two interpreters starting on a busy machine.
RUN_TIMEOUT = 180.0
SMALL = ("--vus", "20", "--duration", "2", "--ramp-up", "0.3", "--drain", "5")

RULES = """
[[allow]]
channels = ["load-*"]
roles = ["authenticated"]
can = ["all"]
"""


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    return ServerConfig(port=0, rules=rules, event_log_size=100_000)


async def load(*args: str, env: dict[str, str]) -> tuple[int, Any, str]:
    """Run ``load`` to the end: (exit code, the --json - report or None, stderr)."""
    proc = await start("load", *args, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    text = out.decode().strip()
    assert proc.returncode is not None
    return proc.returncode, strict_json(text) if text else None, err.decode()


async def test_two_workers_merge_to_the_sum_and_nothing_is_lost(server: RealtimeServer) -> None:
    code, report, err = await load(
        "broadcast", *SMALL, "--workers", "2", "--run-id", "w2", "--json", "-",
        "--threshold", "lost==0", "--threshold", "p99<600000ms", env=cli_env(server),
    )  # fmt: skip
    assert code == 0, err
    m = report["metrics"]
    assert report["workers"] == 2
    assert report["stats"]["processes"] == 2
    parts = report["per_worker"]
    assert [p["vus"] for p in parts] == [10, 10]
    for name in ("connections", "joins", "sent", "expected", "delivered"):
        assert m[name] == sum(p[name] for p in parts) > 0, name
    assert (m["connections"], m["joins"]) == (20, 40)
    # what the server received is what the two processes together say they sent
    pushed = [
        r.event
        for r in server.events.items()
        if isinstance(r.event, BroadcastPushed) and r.event.topic.startswith("realtime:load-w2-")
    ]
    assert len(pushed) == m["sent"]
    assert m["delivered"] == m["expected"]
    assert (m["lost"], m["duplicated"]) == (0, 0)
    # group channel 1 holds VUs 6-11, which the two processes share (0-9, 10-19)
    assert not report["channels"]
    assert report["passed"] is True
    assert [t["passed"] for t in report["thresholds"]] == [True, True]
    # the report carries the mergeable result itself: its histograms give the same figures
    again = LoadStats.from_dict(report["stats"]).summary()
    assert (again["p99"], again["delivered"], again["joins"]) == (m["p99"], m["delivered"], 40)
    # stderr: plain progress lines (not a terminal) and the final table
    assert "sending:" in err
    assert "latency p99" in err
    assert "✓ lost==0" in err
    # every progress line counts the run's 20 users, also before the second process reported
    # (it read "users 10/10" then)
    totals = re.findall(r"users \d+/(\d+)", err)
    assert totals
    assert set(totals) == {"20"}


async def test_a_failed_threshold_exits_1(server: RealtimeServer, tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    code, report, err = await load(
        "broadcast", *SMALL, "--workers", "1", "--json", str(path),
        "--threshold", "delivered_rate>=1e12", "--threshold", "lost==0", env=cli_env(server),
    )  # fmt: skip
    assert code == 1, err
    assert report is None
    saved = strict_json(path.read_text())
    assert saved["passed"] is False
    assert [t["passed"] for t in saved["thresholds"]] == [False, True]
    assert saved["metrics"]["lost"] == 0
    assert saved["metrics"]["delivered"] > 0
    assert "✗ delivered_rate>=1e12: FAILED" in err


async def test_auth_mints_a_token_per_vu_for_private_channels(server: RealtimeServer) -> None:
    env = cli_env(server, LOAD_JWT_SECRET=CLI_DEV_SECRET)
    code, report, err = await load(
        "auth", *SMALL, "--connect-rate", "40", "--workers", "2", "--json", "-",
        "--jwt-secret-env", "LOAD_JWT_SECRET", "--threshold", "join_success==100%", env=env,
    )  # fmt: skip
    assert code == 0, err
    m = report["metrics"]
    assert report["workload"]["private"] is True
    assert (m["joins"], m["join_failures"], m["lost"]) == (40, 0, 0)
    assert m["delivered"] == m["expected"] > 0
    assert CLI_DEV_SECRET not in err
    assert CLI_DEV_SECRET not in json.dumps(report)


async def test_auth_without_tokens_and_bad_thresholds_are_usage_errors(
    server: RealtimeServer,
) -> None:
    code, _report, err = await load("auth", *SMALL, env=cli_env(server))
    assert code == 2
    assert "--jwt-secret-env" in err
    for bad, words, lists_metrics in (
        ("p99<<1", "cannot read threshold", True),
        ("latency<1", "unknown metric 'latency'", True),
        ("lost<2ms", "lost is a count", False),
    ):
        code, _report, err = await load("broadcast", "--threshold", bad, env=cli_env(server))
        assert code == 2, err
        assert words in err
        if lists_metrics:
            assert "delivered_rate, p50, p95, p99" in err
    code, _report, err = await load("no-such-preset", env=cli_env(server))
    assert code == 2
    assert "broadcast" in err


async def test_a_target_that_is_not_this_machine_needs_yes() -> None:
    env = cli_env(SUPABASE_URL="https://abcdefgh.supabase.co", SUPABASE_ANON_KEY="k")
    code, report, err = await load("broadcast", "--vus", "1000", env=env)
    assert code == 2
    assert report is None
    assert "--yes" in err
    assert "abcdefgh.supabase.co" in err
    assert "messages/s" in err
    assert "Free plan" in err
    assert "200 concurrent connections" in err


def test_load_never_imports_qt_or_locust() -> None:
    code = (
        "import sys\n"
        "from inspector.cli import main\n"
        "for argv in (['load', '--help'], ['load', '--list']):\n"
        "    try:\n"
        "        assert main(argv) == 0\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        "import inspector.commands.load, inspector.client.load\n"
        "roots = ('PySide6', 'qasync', 'locust', 'gevent')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in roots)\n"
        "print('BAD:' + ','.join(bad))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: realtime-inspector load" in proc.stdout
    assert "large-fanout:" in proc.stdout
    assert proc.stdout.strip().endswith("BAD:")


async def test_on_a_terminal_progress_is_a_bar_with_live_figures(server: RealtimeServer) -> None:
    master, slave = pty.openpty()
    chunks: list[bytes] = []
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            data = b""
        if data:
            chunks.append(data)
        else:
            loop.remove_reader(master)

    loop.add_reader(master, readable)
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "inspector", "load", "broadcast", "--vus", "6",
            "--duration", "1", "--ramp-up", "0", "--workers", "1",
            stdout=asyncio.subprocess.DEVNULL, stderr=slave, env=cli_env(server),
        )  # fmt: skip
        os.close(slave)
        slave = -1
        await asyncio.wait_for(proc.wait(), RUN_TIMEOUT)
    finally:
        loop.remove_reader(master)
        os.close(master)
        if slave != -1:
            os.close(slave)
    err = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, err
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)
    assert re.search(r"sending +━+", plain), plain
    assert re.search(r"users 6/6 +sent [\d,]+/s +delivered [\d,]+/s +p50 ", plain), plain
    assert "latency p99" in plain
    assert "realtime-inspector load:" not in plain  # no plain progress lines on a terminal
