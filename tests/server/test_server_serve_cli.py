"""``realtime-inspector serve`` as a user runs it: a real process, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

from websockets.asyncio.client import connect

from inspector.protocol.jwt import demo_key
from inspector.server.notes import fingerprint

TIMEOUT = 20.0


async def _read_banner(proc: asyncio.subprocess.Process) -> dict[str, str]:
    """The labelled lines of the start banner (values not printed by the test)."""
    assert proc.stdout is not None
    found: dict[str, str] = {}
    async with asyncio.timeout(TIMEOUT):
        while "service_role key" not in found:
            line = (await proc.stdout.readline()).decode()
            if not line:
                raise AssertionError("serve exited before printing its banner")
            label, sep, value = line.strip().partition(": ")
            if sep:
                found[label] = value.strip()
    return found


async def test_serve_prints_urls_and_keys_then_stops_on_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        "serve",
        "--port",
        "0",
        "--log-level",
        "warning",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        banner = await _read_banner(proc)
        url = banner["Project URL"]
        assert url.startswith("http://127.0.0.1:")
        assert banner["WebSocket URL"] == url.replace("http", "ws") + "/realtime/v1/websocket"
        # compared by fingerprint so that a failure never prints a key
        assert fingerprint(banner["anon key"]) == fingerprint(demo_key("anon"))
        assert fingerprint(banner["service_role key"]) == fingerprint(demo_key("service_role"))
        async with connect(
            f"{banner['WebSocket URL']}?apikey={banner['anon key']}&vsn=2.0.0"
        ) as ws:
            await ws.send(json.dumps([None, "1", "phoenix", "heartbeat", {}]))
            assert json.loads(await ws.recv())[4]["status"] == "ok"
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
            assert ws.close_code == 1001
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert b"Stopped." in out
        assert b"eyJ" not in err  # no token in the logs
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_bad_rules_file_exits_2_with_a_message(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[[allow]]\nchannels = ['x']\nroles = ['r']\ncan = ['nope']\n")
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "serve", "--port", "0", "--rules", str(rules)],
        capture_output=True,
        timeout=TIMEOUT,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown permission 'nope'" in proc.stderr


def test_port_in_use_exits_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "inspector", "serve", "--port", str(port)],
            capture_output=True,
            timeout=TIMEOUT,
            text=True,
            check=False,
        )
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr


def test_serve_never_imports_qt() -> None:
    code = (
        "import sys; import inspector.commands.serve, inspector.server.testing; "
        "from inspector.cli import build_parser; build_parser().parse_args(['serve', '--help'])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code + "\n"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0  # --help exits 0 through SystemExit
    assert "--demo-traffic" in proc.stdout
    check = "import sys, inspector.commands.serve; assert not [m for m in sys.modules if m.startswith('PySide6')]"
    assert (
        subprocess.run([sys.executable, "-c", check], timeout=TIMEOUT, check=False).returncode == 0
    )


def test_resource_limit_flags_reach_the_config() -> None:
    from inspector.cli import build_parser
    from inspector.commands.serve import config_from_args

    defaults = config_from_args(build_parser().parse_args(["serve"]))
    assert defaults.max_connections is None  # derived from RLIMIT_NOFILE at start
    assert defaults.header_timeout_s == 10.0
    assert defaults.max_write_buffer_bytes == 16_000_000
    assert defaults.max_total_write_buffer_bytes == 128_000_000
    assert defaults.max_presence_bytes_per_socket == 10_000_000
    assert defaults.max_presence_bytes == 50_000_000
    argv = [
        "serve",
        "--max-connections=200",
        "--header-timeout=0",
        "--max-socket-buffer-mb=4",
        "--max-total-buffer-mb=0",
        "--max-presence-mb-per-socket=0.5",
        "--max-presence-mb=0",
    ]
    config = config_from_args(build_parser().parse_args(argv))
    assert config.max_connections == 200
    assert config.header_timeout_s is None
    assert config.max_write_buffer_bytes == 4_000_000
    assert config.max_total_write_buffer_bytes is None
    assert config.max_presence_bytes_per_socket == 500_000
    assert config.max_presence_bytes is None


def test_bad_resource_limit_flags_exit_2_with_a_message() -> None:
    for flag in ("--max-connections=0", "--max-socket-buffer-mb=0", "--max-presence-mb=-1"):
        proc = subprocess.run(
            [sys.executable, "-m", "inspector", "serve", flag],
            capture_output=True,
            timeout=TIMEOUT,
            text=True,
            check=False,
        )
        assert proc.returncode == 2, flag
        assert flag.split("=")[0] in proc.stderr
