"""``realtime-inspector check`` as CI runs it: a subprocess against the local server, exit codes,
the text and JSON output, and the JUnit XML read back with junitparser (issue #12 item 3)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped

from inspector.protocol.jwt import CLI_DEV_SECRET, sign
from inspector.server import RealtimeServer
from tests.cli_helpers import TIMEOUT, cli_env

PASSING = """\
name: passes
steps:
  - join: {channel: cli-ok, self: true, ack: true}
  - send: {channel: cli-ok, event: ping, payload: {n: 1}}
  - expect: {channel: cli-ok, event: ping, payload: {n: 1}}
"""

SUITE = """\
name: shop suite
checks:
  - name: fails first
    steps:
      - join: {channel: cli-fail, self: true}
      - send: {channel: cli-fail, event: order.confirmed, payload: {id: b}}
      - expect: {channel: cli-fail, event: order.confirmed, payload: {id: a}, within: 300ms}
  - name: would pass
    steps:
      - wait: 10ms
"""


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


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


async def test_all_passed_exits_0_with_one_line_per_check(
    server: RealtimeServer, tmp_path: Path
) -> None:
    path = _write(tmp_path, "ok.yaml", PASSING)
    code, out, err = await _check(str(path), env=cli_env(server))
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith(f"PASS   passes  ({path}:1)  ")
    assert lines[-1].startswith("1 passed, 0 failed, 0 errors, 0 skipped in ")
    assert err == ""


async def test_a_failed_check_exits_1_and_junit_names_the_step_and_reason(
    server: RealtimeServer, tmp_path: Path
) -> None:
    path = _write(tmp_path, "suite.yaml", SUITE)
    junit = tmp_path / "out" / "junit.xml"
    code, out, _ = await _check(str(path), "--junit", str(junit), env=cli_env(server))
    assert code == 1
    reason = (
        "step 3 (line 7) expect order.confirmed on cli-fail: no matching message within 0.3 s; "
        "closest: order.confirmed at +"
    )
    assert f"FAIL   fails first  ({path}:3)" in out
    assert reason in out
    # the closest near-miss is named once, in the reason, not repeated as "near miss:"
    assert out.count('$.id: expected "a", got "b"') == 1, out
    assert "near miss:" not in out
    assert f"PASS   would pass  ({path}:8)" in out
    xml = JUnitXml.fromfile(str(junit))
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (2, 1, 0, 0)
    (suite,) = list(xml)
    assert suite.name == "shop suite"
    assert (suite.tests, suite.failures) == (2, 1)
    first, second = list(suite)
    assert (first.name, first.classname) == ("fails first", "shop suite")
    (failure,) = first.result
    assert isinstance(failure, Failure)
    assert failure.message.startswith(reason)
    assert '$.id: expected "a", got "b"' in failure.message
    assert failure.type == "StepFailed"
    assert (failure.text or "").count('$.id: expected "a", got "b"') == 1
    assert "FAIL step 3 (line 7)" in (first.system_out or "")
    assert second.is_passed


async def test_fail_fast_skips_the_rest_and_only_selects(
    server: RealtimeServer, tmp_path: Path
) -> None:
    path = _write(tmp_path, "suite.yaml", SUITE)
    junit = tmp_path / "j.xml"
    code, out, _ = await _check(
        str(path), "--fail-fast", "--junit", str(junit), env=cli_env(server)
    )
    assert code == 1
    assert "SKIP   would pass" in out
    cases = {c.name: c for s in JUnitXml.fromfile(str(junit)) for c in s}
    assert isinstance(cases["would pass"].result[0], Skipped)
    code, out, _ = await _check(str(path), "--only", "would*", env=cli_env(server))
    assert code == 0
    assert "fails first" not in out
    code, _, err = await _check(str(path), "--only", "nothing", env=cli_env(server))
    assert code == 2
    assert "no check matches --only nothing" in err


async def test_json_lines(server: RealtimeServer, tmp_path: Path) -> None:
    path = _write(tmp_path, "suite.yaml", SUITE)
    code, out, _ = await _check(str(path), "--json", env=cli_env(server))
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [x.get("check") for x in lines[:2]] == ["fails first", "would pass"]
    assert lines[0]["status"] == "failed"
    step = lines[0]["steps"][2]
    assert step["status"] == "failed"
    assert step["near_misses"][0]["differences"] == [
        {"path": "$.id", "expected": "a", "actual": "b"}
    ]
    assert lines[2]["summary"]["failed"] == 1


async def test_an_invalid_file_exits_2_with_file_line_and_what(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.yaml", PASSING)
    bad = _write(tmp_path, "bad.yaml", "name: b\nsteps:\n  - join: {channel: c}\n  - expct: {}\n")
    junit = tmp_path / "j.xml"
    code, out, err = await _check(str(good), str(bad), "--junit", str(junit), env=cli_env())
    assert code == 2
    assert out == ""
    assert f"realtime-inspector check: {bad}:4:5: unknown step 'expct'" in err
    assert "1 invalid file; nothing was run" in err
    (suite,) = list(JUnitXml.fromfile(str(junit)))
    (case,) = list(suite)
    assert isinstance(case.result[0], Error)
    assert f"{bad}:4:5" in case.result[0].message


async def test_a_check_that_cannot_start_is_an_error_exit_1(tmp_path: Path) -> None:
    path = _write(tmp_path, "ok.yaml", PASSING)
    junit = tmp_path / "j.xml"
    code, out, _ = await _check(str(path), "--junit", str(junit), env=cli_env())
    assert code == 1
    assert "could not start: no URL: set SUPABASE_URL or give connect.url" in out
    case = next(c for s in JUnitXml.fromfile(str(junit)) for c in s)
    assert isinstance(case.result[0], Error)


async def test_tokens_never_reach_the_output(server: RealtimeServer, tmp_path: Path) -> None:
    token = sign({"role": "anon", "sub": "u", "exp": 4102444800}, CLI_DEV_SECRET)
    text = """\
name: leaky
identities: {u: {token: "{{env.USER_TOKEN}}"}}
steps:
  - join: {channel: cli-leak, self: true, identity: u}
  - send: {channel: cli-leak, identity: u, event: t, payload: {token: "{{env.USER_TOKEN}}"}}
  - expect: {channel: cli-leak, identity: u, event: t, payload: {token: "x"}, within: 300ms}
"""
    path = _write(tmp_path, "leak.yaml", text)
    junit = tmp_path / "j.xml"
    env = cli_env(server, USER_TOKEN=token)
    for extra in ([], ["--json"]):
        code, out, err = await _check(str(path), "--junit", str(junit), *extra, env=env)
        assert code == 1
        assert "closest: t at" in out or "near_misses" in out
        assert token not in out + err
        assert token not in junit.read_text()


def test_check_never_imports_qt() -> None:
    code = (
        "import sys\n"
        "from inspector.cli import main\n"
        "try:\n"
        "    main(['check', '--help'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync'))\n"
        "print('QT:' + ','.join(bad))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: realtime-inspector check" in proc.stdout
    assert proc.stdout.strip().endswith("QT:")


async def test_sigterm_cancels_the_running_check_and_still_reports(
    server: RealtimeServer, tmp_path: Path
) -> None:
    text = """\
name: signals
checks:
  - name: long
    steps:
      - join: {channel: cli-sig}
      - expect: {channel: cli-sig, event: never, within: 60s}
  - name: after
    steps: [{wait: 1ms}]
"""
    path = _write(tmp_path, "sig.yaml", text)
    junit = tmp_path / "j.xml"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        "check",
        str(path),
        "--junit",
        str(junit),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=cli_env(server),
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while (False, "cli-sig") not in server.hub.channels():  # the check has joined: it runs
        assert loop.time() < deadline, "the check never joined"
        await asyncio.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 143
    text_out = out.decode()
    assert f"STOP   long  ({path}:3)" in text_out
    assert "step 2 (line 6) expect never on cli-sig: cancelled" in text_out
    assert "SKIP   after" in text_out
    # a cancelled check is an error in the summary line and in JUnit alike (one rule)
    assert "0 passed, 0 failed, 1 errors, 1 skipped in " in text_out
    xml = JUnitXml.fromfile(str(junit))
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (2, 0, 1, 1)
    cases = {c.name: c for s in xml for c in s}
    assert isinstance(cases["long"].result[0], Error)
    assert cases["long"].result[0].type == "Cancelled"
    assert isinstance(cases["after"].result[0], Skipped)
    assert (False, "cli-sig") not in server.hub.channels()  # it left before exiting


async def test_a_junit_path_that_is_a_folder_or_cannot_be_created_is_refused_first(
    server: RealtimeServer, tmp_path: Path
) -> None:
    path = _write(tmp_path, "ok.yaml", PASSING)
    blocker = tmp_path / "file"
    blocker.write_text("")
    for junit, why in (
        (tmp_path, "is a directory"),
        (blocker / "sub" / "j.xml", "cannot create its folder"),
    ):
        code, out, err = await _check(str(path), "--junit", str(junit), env=cli_env(server))
        assert code == 2, (junit, out, err)
        assert out == ""  # nothing ran
        assert f"realtime-inspector check: --junit {junit}: {why}" in err
    assert not server.hub.channels()


async def test_a_junit_report_that_cannot_be_written_at_the_end_exits_2(
    server: RealtimeServer, tmp_path: Path
) -> None:
    path = _write(tmp_path, "ok.yaml", PASSING)
    code, out, err = await _check(str(path), "--junit", "/dev/full", env=cli_env(server))
    assert code == 2, out + err
    assert out.startswith("PASS   passes")  # the checks ran and passed
    assert "cannot write the JUnit report /dev/full: No space left on device" in err
    assert "exit code 2" in err
