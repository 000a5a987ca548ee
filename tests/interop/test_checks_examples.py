"""The example checks (examples/checks/) through the CLI, as CI runs them (issue #12 item 5).

A real ``realtime-inspector serve --demo-traffic --rules examples/checks/rules.toml`` process,
the realtime-js order app (tests/interop/js/order_app.mjs) as the backend, and
``realtime-inspector check ... --junit`` as a subprocess; the JUnit file is read back with
junitparser. A broken twin of each example (made here from the example's text, so the two
never drift apart) fails with the right step named and the right reason.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml

from inspector.protocol.jwt import CLI_DEV_SECRET, demo_key, sign
from tests.cli_helpers import cli_env
from tests.interop.peers import JS_DIR, PeerPool

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "checks"
TIMEOUT = 60.0

pytestmark = pytest.mark.slow


async def _serve() -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        "serve",
        "--port",
        "0",
        "--demo-traffic",
        "--rules",
        str(EXAMPLES / "rules.toml"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=cli_env(),
    )
    assert proc.stdout is not None
    async with asyncio.timeout(20):
        while True:
            line = (await proc.stdout.readline()).decode()
            assert line, "serve exited before printing its banner"
            label, _, value = line.strip().partition(": ")
            if label == "Project URL":
                return proc, value.strip()


@pytest.fixture
async def demo_server() -> AsyncIterator[str]:
    proc, url = await _serve()
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 10)


def _env(url: str) -> dict[str, str]:
    user = sign(
        {"role": "authenticated", "sub": "user-1", "exp": int(time.time()) + 600},
        CLI_DEV_SECRET,
    )
    return cli_env(SUPABASE_URL=url, SUPABASE_ANON_KEY=demo_key("anon"), USER_TOKEN=user)


async def _start_app(peers: PeerPool, env: dict[str, str]) -> None:
    app = await peers.script("js", JS_DIR / "order_app.mjs", env=env)
    await app.expect(ev="status", status="SUBSCRIBED", timeout=30)


async def _check(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        "check",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _cases(path: Path) -> dict[str, object]:
    xml = JUnitXml.fromfile(str(path))
    return {case.name: case for suite in xml for case in suite}


EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


async def test_examples_pass_through_the_cli_with_junit(
    demo_server: str, peers: PeerPool, tmp_path: Path
) -> None:
    env = _env(demo_server)
    await _start_app(peers, env)
    junit = tmp_path / "report" / "checks.xml"
    code, out, err = await _check(*map(str, EXAMPLE_FILES), "--junit", str(junit), env=env)
    assert code == 0, out + err
    assert len(EXAMPLE_FILES) >= 5
    assert out.count("PASS ") == len(EXAMPLE_FILES), out
    xml = JUnitXml.fromfile(str(junit))
    assert (xml.tests, xml.failures, xml.errors) == (len(EXAMPLE_FILES), 0, 0)
    suites = list(xml)
    assert sorted(s.name for s in suites) == sorted(p.stem for p in EXAMPLE_FILES)
    for suite in suites:
        assert suite.tests == 1
        for case in suite:
            assert case.is_passed, case.name
            assert case.classname == suite.name
            assert case.time > 0
            assert "ok   step 1" in (case.system_out or "")


#: file -> (text in the example, broken replacement, step named, text in the reason)
BROKEN = {
    "order_confirmed.yaml": (
        "status: confirmed}",
        "status: rejected}",
        "step 3 (line 15) the backend confirms it",
        '$.status: expected "rejected", got "confirmed"',
    ),
    "self_false.yaml": (
        "sender, self: false",
        "sender, self: true",
        "step 4 (line 11) the sender hears nothing of its own",
        "ping arrived at",
    ),
    "private_channel.yaml": (
        'user: {token: "{{env.USER_TOKEN}}"}',
        "user: {}",
        "step 2 (line 18) join private-orders as user",
        "the server refused the join: Unauthorized",
    ),
    "presence.yaml": (
        "event: leave\n      key: alice",
        "event: leave\n      key: bob",
        "step 6 (line 19) expect presence leave bob on lobby-checks as watcher",
        "no matching presence leave within 2 s; seen instead: leave alice",
    ),
    "demo_chat.yaml": (
        "event: message",
        "event: messages",
        "step 2 (line 6) expect messages on demo-chat",
        "no matching message within 5 s; seen instead: message",
    ),
}


async def test_broken_twins_fail_with_the_step_and_reason(
    demo_server: str, peers: PeerPool, tmp_path: Path
) -> None:
    assert sorted(BROKEN) == sorted(p.name for p in EXAMPLE_FILES)
    env = _env(demo_server)
    await _start_app(peers, env)
    broken: list[Path] = []
    for name, (old, new, _, _) in BROKEN.items():
        text = (EXAMPLES / name).read_text()
        assert text.count(old) == 1, name
        path = tmp_path / name
        path.write_text(text.replace(old, new))
        broken.append(path)
    junit = tmp_path / "broken.xml"
    code, out, err = await _check(*map(str, broken), "--junit", str(junit), env=env)
    assert code == 1, out + err
    assert out.count("FAIL ") == len(BROKEN), out
    cases = {case.classname: case for suite in JUnitXml.fromfile(str(junit)) for case in suite}
    for name, (_, _, step, reason) in BROKEN.items():
        case = cases[Path(name).stem]
        results = case.result
        assert [type(r) for r in results] == [Failure], (name, results)
        message = results[0].message
        assert message.startswith(step + ": "), (name, message)
        assert reason in message, (name, message)
        assert step in out
        assert reason in out
