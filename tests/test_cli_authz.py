"""``realtime-inspector authz`` through a subprocess against the local server with a rules file
(issue #13 §4): the JSON matrix is the one the rules imply, an expectation saved by one run
matches the next (exit 0), a changed one does not (exit 1, the difference printed and a JUnit
failure), usage errors exit 2, and no secret reaches stdout, stderr or a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from authz_helpers import (
    ALICE,
    BOB,
    as_table,
    implied,
    write_rules,
)
from cli_helpers import cli_env, run
from junitparser import Failure, JUnitXml

from inspector.protocol.authz_probe import CAPABILITIES
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.rules import Rules
from inspector.store.authz import Cell

CHANNELS = [("team-news", True), ("open-room", False), ("lobby", True)]
IDENTITIES = {
    "anon": {},
    "alice": {"token": "{{env.ALICE_TOKEN}}"},
    "bob": {
        "mint": {
            "secret": "{{env.JWT_SECRET}}",
            "role": "authenticated",
            "sub": BOB["sub"],
            "email": BOB["email"],
        }
    },
    "admin": {"key": "{{env.SERVICE_KEY}}"},
}
CLAIMS = {"anon": {"role": "anon"}, "alice": ALICE, "bob": BOB}


@pytest.fixture
async def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    rules_path = write_rules(tmp_path)
    async with RealtimeServer(ServerConfig(port=0, rules=str(rules_path))) as server:
        from authz_helpers import user_token

        ids = tmp_path / "ids.yaml"
        ids.write_text(yaml.safe_dump(IDENTITIES), encoding="utf-8")
        env = cli_env(
            server,
            ALICE_TOKEN=user_token(server, ALICE),
            JWT_SECRET=server.config.jwt_secret,
            SERVICE_KEY=server.service_role_key,
        )
        yield server, Rules.from_file(rules_path), ids, env


def _args(ids: Path, *extra: str) -> list[str]:
    args = ["authz", "--identities", str(ids), "--observer", "admin", "--wait", "0.5"]
    for name in ("anon", "alice", "bob"):
        args += ["--identity", name]
    for name, private in CHANNELS:
        args += ["--private-channel" if private else "--channel", name]
    return [*args, *extra]


def _secrets(env: dict[str, str]) -> list[str]:
    return [env["ALICE_TOKEN"], env["JWT_SECRET"], env["SERVICE_KEY"], env["SUPABASE_ANON_KEY"]]


async def test_json_matrix_is_what_the_rules_imply_and_files_are_written(
    setup, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _server, rules, ids, env = setup
    expected_file = tmp_path / "expected.yaml"
    junit = tmp_path / "out" / "authz.xml"
    md = tmp_path / "authz.md"
    code, lines, err = await run(
        *_args(
            ids,
            "--json",
            "--save-expected",
            str(expected_file),
            "--junit",
            str(junit),
            "--markdown",
            str(md),
        ),
        env=env,
    )
    assert code == 0, err
    [report] = lines
    cells = [Cell.from_dict(c) for c in report["cells"]]
    want = {
        (n, ch, p, cap): v
        for n, claims in CLAIMS.items()
        for ch, p in CHANNELS
        for cap, v in implied(rules, claims, ch, p).items()
    }
    assert as_table(cells) == want
    assert report["observer"] == "admin"
    # channels in command-line order, --channel and --private-channel mixed
    assert [(c["name"], c["private"]) for c in report["channels"]] == CHANNELS
    # the files: JUnit (one testcase per cell, all passing), Markdown, the expectation
    xml = JUnitXml.fromfile(str(junit))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == len(CLAIMS) * len(CHANNELS) * len(CAPABILITIES)
    assert all(case.is_passed for case in cases)
    assert "## team-news (private)" in md.read_text()
    saved = yaml.safe_load(expected_file.read_text())
    assert saved["version"] == 1
    assert len(saved["matrix"]) == len(CLAIMS) * len(CHANNELS)
    for text in (json.dumps(lines), err, junit.read_text(), md.read_text()):
        for secret in _secrets(env):
            assert secret not in text


async def test_expectation_matches_then_a_changed_one_fails(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _server, _rules, ids, env = setup
    expected_file = tmp_path / "expected.yaml"
    code, _, err = await run(*_args(ids, "--json", "--save-expected", str(expected_file)), env=env)
    assert code == 0, err
    data = yaml.safe_load(expected_file.read_text())
    data["owner"] = "qa"  # a key this version does not know: kept on save
    for row in data["matrix"]:
        if row["identity"] == "anon" and row["channel"] == "team-news":
            assert row["send_rest"] == "denied"
            row["send_rest"] = "allowed"  # what a too-lax policy would look like
    expected_file.write_text(yaml.safe_dump(data, sort_keys=False))
    junit = tmp_path / "j.xml"
    code, _, err = await run(
        *_args(ids, "--expect", str(expected_file), "--junit", str(junit), "--json"), env=env
    )
    assert code == 1, err
    xml = JUnitXml.fromfile(str(junit))
    failed = [
        case.name
        for suite in xml
        for case in suite
        if any(isinstance(r, Failure) for r in case.result)
    ]
    assert failed == ["anon send_rest"]
    # saving over the expectation keeps the unknown key
    code, _, err = await run(
        *_args(
            ids, "--json", "--expect", str(expected_file), "--save-expected", str(expected_file)
        ),
        env=env,
    )
    assert code == 1
    again = yaml.safe_load(expected_file.read_text())
    assert again["owner"] == "qa"


async def test_text_output_shows_the_difference(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import sys

    _server, _rules, ids, env = setup
    expected_file = tmp_path / "e.json"
    expected_file.write_text(
        json.dumps(
            {
                "version": 1,
                "matrix": [
                    {"identity": "bob", "channel": "lobby", "private": True, "track": "denied"}
                ],
            }
        )
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        *_args(ids, "--expect", str(expected_file)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1, err
    text = out.decode()
    assert "DIFF bob / lobby (private) / track presence: expected denied, got allowed" in text
    assert "1 differ from the expectation" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--identity", "mallory"], "unknown identity 'mallory'"),
        (["--observer", "nobody"], "unknown identity 'nobody'"),
        (["--expect", "/nonexistent/e.yaml"], "cannot read"),
    ],
)
async def test_usage_errors_exit_2(setup, extra: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    _server, _rules, ids, env = setup
    code, _, err = await run(*_args(ids, "--json", *extra), env=env)
    assert code == 2
    assert message in err


async def test_bad_identities_file_and_no_channel_exit_2(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _server, _rules, ids, env = setup
    code, _, err = await run("authz", "--identities", str(ids), env=env)
    assert code == 2
    assert "at least one --channel" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("alice: {token: '{{env.NOT_SET_ANYWHERE}}'}\n")
    code, _, err = await run("authz", "--identities", str(bad), "--channel", "x", env=env)
    assert code == 2
    assert "NOT_SET_ANYWHERE is not set" in err
    # QA: no "line 1, column 1" (a place in the value, read as a place in the file)
    assert "line 1" not in err
    assert f"{bad}: identity 'alice': 'token': the environment variable" in err
    bad.write_text("alice: {tokn: x}\n")
    code, _, err = await run("authz", "--identities", str(bad), "--channel", "x", env=env)
    assert code == 2
    assert "unknown field(s) tokn" in err


async def test_identities_not_asked_for_need_not_have_their_variables(
    setup,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """QA (issue #13): `--identity anon` refused to run because another identity of the file
    used a variable that was not set. Only the identities measured (and the observer) need
    theirs; the file is still checked whole (a typo anywhere is an error)."""
    _server, _rules, _ids, env = setup
    ids = tmp_path / "more.yaml"
    ids.write_text(
        "anon: {}\nadmin: {key: '{{env.SERVICE_KEY}}'}\nci-only: {key: '{{env.NOT_SET_HERE}}'}\n",
        encoding="utf-8",
    )
    base = ["authz", "--identities", str(ids), "--channel", "open-room", "--wait", "0.5"]
    code, out, err = await run(
        *base, "--identity", "anon", "--observer", "admin", "--json", env=env
    )
    assert code == 0, err
    assert out[0]["identities"] == ["anon"]
    assert out[0]["observer"] == "admin"
    # asked for: its variable is needed
    code, _, err = await run(*base, "--identity", "ci-only", env=env)
    assert code == 2
    assert "identity 'ci-only': 'key': the environment variable NOT_SET_HERE is not set" in err
    # every identity (no --identity): every variable is needed
    code, _, err = await run(*base, env=env)
    assert code == 2
    assert "NOT_SET_HERE" in err
    # a typo in an identity not asked for is still an error
    ids.write_text("anon: {}\nother: {tokn: x}\n", encoding="utf-8")
    code, _, err = await run(*base, "--identity", "anon", env=env)
    assert code == 2
    assert "unknown field(s) tokn" in err
