"""Issue #10 item 2: a non-loopback bind with the default (public) secret needs --allow-remote,
says why, and always warns; the start-up lines name the address actually bound."""

from __future__ import annotations

import json
import re
import socket

import pytest
from serve_process import run_serve, serve_process
from websockets.asyncio.client import connect

from inspector.protocol.jwt import CLI_DEV_SECRET
from inspector.server.exposure import exposure_problem, exposure_warning, is_loopback

SHOUT = "ANYONE ON THE NETWORK CAN MINT service_role TOKENS"
OWN_SECRET = {"REALTIME_INSPECTOR_JWT_SECRET": "a-private-secret-of-at-least-32-characters!"}


def own_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only the route is looked up
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if is_loopback(address) or address == "0.0.0.0" else address


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.0.2.2", False),
        ("fd00::2", False),
        ("example.com", False),
    ],
)
def test_decision(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback
    problem = exposure_problem(address, 54321, CLI_DEV_SECRET, allow_remote=False)
    assert (problem is None) is loopback
    assert exposure_problem(address, 54321, CLI_DEV_SECRET, allow_remote=True) is None
    assert exposure_problem(address, 54321, "another-secret", allow_remote=False) is None
    warning = exposure_warning(address, 54321, CLI_DEV_SECRET)
    assert (warning is None) is loopback
    if warning is not None:
        assert SHOUT in warning
        assert SHOUT not in (exposure_warning(address, 54321, "another-secret") or "")


def addresses() -> list[str]:
    found = own_address()
    return ["0.0.0.0"] + ([found] if found else [])


@pytest.mark.parametrize("address", addresses())
def test_non_loopback_with_the_default_secret_exits_2_and_says_why(address: str) -> None:
    done = run_serve("--host", address, "--port", "0")
    assert done.returncode == 2, done.stderr
    assert "--allow-remote" in done.stderr
    assert "service_role" in done.stderr
    assert "not a loopback address" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Project URL" not in done.stdout


@pytest.mark.parametrize("address", addresses())
async def test_allow_remote_serves_warns_and_names_the_bound_address(address: str) -> None:
    async with serve_process("--host", address, "--port", "0", "--allow-remote") as serve:
        listening = serve.banner["Listening on"]
        assert re.fullmatch(re.escape(address) + r":\d+", listening)
        port = int(listening.rsplit(":", 1)[1])
        assert port != 0
        target = "127.0.0.1" if address == "0.0.0.0" else address
        key = serve.banner["anon key"]
        async with connect(f"ws://{target}:{port}/realtime/v1/websocket?apikey={key}") as ws:
            await ws.send(
                json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "1"})
            )
            assert json.loads(await ws.recv())["payload"]["status"] == "ok"
        assert await serve.stop() == 0
    err = serve.stderr.decode()
    assert SHOUT in err
    assert f"listening on {address}:{port}" in err  # the log line: the real port


async def test_loopback_other_than_127_0_0_1_needs_no_flag_and_gets_no_warning() -> None:
    async with serve_process("--host", "127.0.0.2", "--port", "0") as serve:
        assert serve.banner["Listening on"].startswith("127.0.0.2:")
        assert serve.banner["Project URL"].startswith("http://127.0.0.2:")
        assert await serve.stop() == 0
    assert "WARNING" not in serve.stderr.decode()


async def test_own_secret_on_every_interface_runs_with_a_milder_warning() -> None:
    args = ("--host", "0.0.0.0", "--port", "0", "--log-level", "error")
    async with serve_process(*args, env=OWN_SECRET) as serve:
        assert await serve.stop() == 0
    err = serve.stderr.decode()
    assert "WARNING: listening on 0.0.0.0:" in err  # printed although the log level is error
    assert "reachable from the network" in err
    assert SHOUT not in err
    assert OWN_SECRET["REALTIME_INSPECTOR_JWT_SECRET"] not in err + serve.stdout.decode()
