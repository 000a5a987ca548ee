"""The authorization matrix model (issue #13 §4): the expected matrix file (versioned, unknown
keys kept, clear errors), comparison, and the Markdown, JSON and JUnit exports (JUnit read back
with junitparser; secrets redacted everywhere)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from junitparser import Error, Failure, JUnitXml

from inspector.protocol.authz_probe import (
    CAPABILITIES,
    Capability,
    Verdict,
    parse_capability,
    probe_marker,
    probe_payload,
)
from inspector.store.authz import (
    Cell,
    ChannelRef,
    Expectation,
    ExpectationError,
    Matrix,
    compare,
    to_json_dict,
    to_junit,
    to_markdown,
)

ROOM = ChannelRef("room", True)
OPEN = ChannelRef("open")
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def _matrix() -> Matrix:
    cells = []
    for channel in (ROOM, OPEN):
        for who in ("anon", "alice"):
            for cap in CAPABILITIES:
                allowed = channel == OPEN or who == "alice"
                cells.append(
                    Cell(
                        who,
                        channel,
                        cap,
                        Verdict.ALLOWED if allowed else Verdict.DENIED,
                        "received by admin" if allowed else f"HTTP 403: bad | token {JWT}",
                        None if allowed else 1.5,
                    )
                )
    cells[-1] = Cell("alice", OPEN, Capability.SEE_PRESENCE, Verdict.UNKNOWN, "no one")
    return Matrix.from_cells(cells, "admin")


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_expectation_round_trip_keeps_unknown_keys(tmp_path: Path, suffix: str) -> None:
    matrix = _matrix()
    path = tmp_path / f"expected{suffix}"
    Expectation.from_matrix(matrix).save(path)
    text = path.read_text()
    data: Any = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    assert data["version"] == 1
    data["owner"] = "qa"
    data["matrix"][0]["note"] = "checked by hand"
    path.write_text(json.dumps(data) if suffix == ".json" else yaml.safe_dump(data))
    loaded = Expectation.load(path)
    assert compare(loaded.cells(), matrix) == []
    Expectation.from_matrix(matrix, loaded).save(path)
    again = Expectation.load(path)
    assert again.extra == {"owner": "qa"}
    assert again.rows[0].extra == {"note": "checked by hand"}


def test_compare_lists_differences_any_and_not_measured() -> None:
    matrix = _matrix()
    expected = Expectation.from_matrix(matrix).cells()
    expected[("anon", ROOM, Capability.SEND_REST)] = "allowed"  # too lax a wish
    expected[("anon", ROOM, Capability.TRACK)] = "any"
    expected[("bob", ROOM, Capability.JOIN)] = "denied"  # nobody measured bob
    diffs = compare(expected, matrix)
    assert [(d.identity, d.capability.value, d.expected, d.actual) for d in diffs] == [
        ("anon", "send_rest", "allowed", "denied"),
        ("bob", "join", "denied", "not measured"),
    ]
    assert (
        diffs[0]
        .text()
        .startswith(
            "anon / room (private) / send (REST single): expected allowed, got denied: HTTP 403"
        )
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": 2, "matrix": []}, "version 2 was written by a newer Realtime Inspector"),
        ({"matrix": [{"identity": "a", "channel": "r", "join": "yes"}]}, "matrix row 1: join"),
        ({"matrix": [{"channel": "r"}]}, "'identity' must be a name"),
        ({"matrix": [{"identity": "a", "channel": "r", "private": "no"}]}, "'private' must be"),
        (
            {"matrix": [{"identity": "a", "channel": "r"}, {"identity": "a", "channel": "r"}]},
            "matrix row 2 repeats a on r",
        ),
        ([1, 2], "the top level must be a mapping"),
    ],
)
def test_expectation_errors(data: Any, message: str) -> None:
    with pytest.raises(ExpectationError, match=message):
        Expectation.from_data(data, "e.yaml")


def test_expectation_file_errors_name_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "e.yaml"
    bad.write_text("matrix: [\n  {identity: a\n")
    with pytest.raises(ExpectationError, match=r"e\.yaml:\d+:\d+"):
        Expectation.load(bad)
    with pytest.raises(ExpectationError, match="cannot read"):
        Expectation.load(tmp_path / "missing.yaml")


def test_junit_one_testcase_per_cell_read_back(tmp_path: Path) -> None:
    matrix = _matrix()
    expected = Expectation.from_matrix(matrix).cells()
    expected[("anon", ROOM, Capability.JOIN)] = "allowed"
    del expected[("alice", OPEN, Capability.SEE_PRESENCE)]  # the unknown cell, not covered
    diffs = compare(expected, matrix)
    path = tmp_path / "authz.xml"
    path.write_text(to_junit(matrix, diffs, expected=expected))
    xml = JUnitXml.fromfile(str(path))
    cases = {(suite.name, case.name): case for suite in xml for case in suite}
    assert len(cases) == len(matrix) == 2 * 2 * len(CAPABILITIES)
    failed = {k for k, c in cases.items() if any(isinstance(r, Failure) for r in c.result)}
    errors = {k for k, c in cases.items() if any(isinstance(r, Error) for r in c.result)}
    assert failed == {("room (private)", "anon join")}
    assert errors == {("open", "alice see_presence")}
    assert JWT not in path.read_text()


def test_markdown_and_json_redact_and_escape() -> None:
    matrix = _matrix()
    md = to_markdown(matrix)
    assert "## room (private)" in md
    assert "| anon | ✅ allowed" not in md.split("## open")[0]  # anon is denied on room
    assert "HTTP 403: bad \\| token" in md
    assert JWT not in md
    data = to_json_dict(matrix, [])
    assert data["matches"] is True
    assert data["counts"] == {"allowed": 20, "denied": 7, "unknown": 1}
    assert JWT not in json.dumps(data)


def test_probe_marker_never_raises_and_capabilities_parse() -> None:
    payload = probe_payload("m-1", "alice", Capability.SEND_WS)
    assert probe_marker(payload) == "m-1"
    assert probe_marker({"type": "broadcast", "payload": payload}) == "m-1"
    for odd in (None, 3, "x", [payload], {"inspector_authz_probe": 5}, {"payload": [1]}):
        assert probe_marker(odd) is None
    assert parse_capability("send-ws") is Capability.SEND_WS
    assert parse_capability("see presence") is Capability.SEE_PRESENCE
    with pytest.raises(ValueError, match="one of join, receive"):
        parse_capability("fly")
