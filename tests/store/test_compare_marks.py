"""The compare view's marks (issue #13 §3): markers in payloads, and each column's mark."""

from __future__ import annotations

import json

import pytest

from inspector.store.compare.marks import (
    MARKER_FIELD,
    MAX_PROBES,
    MarkBoard,
    MarkState,
    marker_in,
    presence_payload,
    stamp,
)


def board(columns: int = 3) -> MarkBoard:
    return MarkBoard(columns, "0a1b2c3d", settle_s=5.0)


def test_stamp_adds_the_marker_to_a_json_object_and_refuses_anything_else() -> None:
    assert json.loads(stamp('{"text": "hi"}', "cmp-0a1b2c3d-1")) == {
        "text": "hi",
        MARKER_FIELD: "cmp-0a1b2c3d-1",
    }
    assert json.loads(stamp("  ", "cmp-0a1b2c3d-2")) == {MARKER_FIELD: "cmp-0a1b2c3d-2"}
    with pytest.raises(ValueError, match="must be a JSON object"):
        stamp("[1, 2]", "cmp-0a1b2c3d-3")
    with pytest.raises(ValueError, match=r"not JSON \(line 1, column 2"):
        stamp("{oops", "cmp-0a1b2c3d-4")


def test_marker_found_whatever_the_spacing_and_only_in_its_field() -> None:
    assert marker_in(b'{"a":1,"inspector_compare":"cmp-0a1b2c3d-7"}') == "cmp-0a1b2c3d-7"
    assert marker_in(b'{"inspector_compare" :  "cmp-0a1b2c3d-12", "x": 2}') == "cmp-0a1b2c3d-12"
    assert marker_in(b'{"text":"cmp-0a1b2c3d-7"}') is None
    assert marker_in(b"\x00\x01binary") is None


def test_sender_receivers_not_joined_and_settling() -> None:
    b = board()
    seen: list[str] = []
    b.add_listener(lambda p: seen.append(p.marker))
    marker = b.next_marker()
    assert marker == "cmp-0a1b2c3d-1"
    probe = b.sent(marker, 0, "hello", [True, True, False], wall=100.0, now=10.0, row="out-row")
    assert [m.state for m in probe.marks] == [
        MarkState.SENDING,
        MarkState.WAITING,
        MarkState.NOT_JOINED,
    ]
    assert probe.marks[0].row == "out-row"
    assert b.next_deadline() == 15.0
    payload = stamp('{"t": 1}', marker)
    assert b.received(1, payload, "row-b") is probe
    assert probe.marks[1].state is MarkState.RECEIVED
    assert probe.marks[1].row == "row-b"
    b.send_result(marker, MarkState.SENT)
    assert probe.settled
    assert b.next_deadline() is None
    assert len(seen) == 3

    # A second send that column 1 never gets: "not received" at the deadline, "late" after.
    other = b.next_marker()
    second = b.sent(other, 2, "x", [True, True, True], wall=101.0, now=20.0)
    assert b.settle(24.9) == []
    assert b.settle(25.0) == [second]
    assert second.marks[0].state is MarkState.NOT_RECEIVED
    assert second.marks[0].text() == "✗ not received"
    b.received(0, stamp("{}", other), "late-row")
    assert second.marks[0].state is MarkState.LATE
    b.send_result(other, MarkState.REFUSED, "Unauthorized")
    assert second.marks[2].text() == "✗ refused: Unauthorized"

    # The sender's own copy (REST): received, with the send's result, whichever comes first.
    third = b.next_marker()
    probe3 = b.sent(third, 1, "r", [True, True, True], wall=0.0, now=30.0)
    b.send_result(third, MarkState.SENT, "HTTP 202")
    b.received(1, stamp("{}", third), "own-row")
    assert probe3.marks[1].text() == "✓ received: HTTP 202"
    fourth = b.next_marker()
    probe4 = b.sent(fourth, 1, "r", [True, True, True], wall=0.0, now=30.0)
    b.received(1, stamp("{}", fourth), "own-row")
    b.send_result(fourth, MarkState.SENT, "HTTP 202")
    assert probe4.marks[1].text() == "✓ received: HTTP 202"


def test_foreign_markers_and_bad_columns_are_ignored_and_probes_are_bounded() -> None:
    b = board(2)
    assert b.received(0, stamp("{}", "cmp-ffffffff-1"), "row") is None
    marker = b.next_marker()
    b.sent(marker, 0, "e", [True, True], wall=0.0, now=0.0)
    assert b.received(5, stamp("{}", marker), "row") is None
    for _ in range(MAX_PROBES + 10):
        b.sent(b.next_marker(), 0, "e", [True, True], wall=0.0, now=0.0)
    assert len(b.probes) == MAX_PROBES
    assert b.get(marker) is None  # the oldest went first
    with pytest.raises(ValueError, match="hex"):
        MarkBoard(2, "not-hex")


def test_presence_payload_names_the_identity() -> None:
    assert presence_payload("alice", 1, "authenticated") == {
        "role": "authenticated",
        "column": "B",
        MARKER_FIELD: "alice",
    }
    assert presence_payload("anon", 0) == {"column": "A", MARKER_FIELD: "anon"}
