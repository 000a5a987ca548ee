"""Check drafts from a tab's rows and finding a check's message among a tab's rows (issue #12
§4): the draft is YAML the checks loader accepts (round trip), sends become ``send`` steps and
receives ``expect`` steps with a subset payload and a ``within`` from the observed delay plus
margin; variables, globs and secrets are escaped or kept out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from inspector.client.checks import Expect, Join, Send, load_text
from inspector.protocol.template import Variables, expand_json, expand_text
from inspector.store import (
    ChannelOptions,
    Direction,
    MessageRecord,
    PayloadFormat,
    SendInfo,
    SendState,
    Transport,
)
from inspector.store.checks.draft import draft_check, duration_text, within_for
from inspector.store.checks.locate import find_row
from inspector.store.messages.records import system_record

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLWhlcmU"


def rec(
    seq: int,
    t: float,
    direction: Direction,
    event: str,
    payload: Any,
    *,
    send: SendInfo | None = None,
    meta: dict[str, Any] | None = None,
) -> MessageRecord:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    record = MessageRecord(
        time=t,
        direction=direction,
        event=event,
        payload=raw,
        format=PayloadFormat.BINARY if isinstance(payload, bytes) else PayloadFormat.JSON,
        send=send,
        meta=json.dumps(meta).encode() if meta else None,
    )
    record.seq = seq
    return record


@pytest.mark.parametrize(
    ("delay", "within"),
    [(None, 5.0), (0.0, 1.0), (0.004, 1.1), (0.3, 1.3), (1.0, 2.0), (2.5, 5.0), (-1.0, 1.0)],
)
def test_within_is_the_delay_plus_a_margin(delay: float | None, within: float) -> None:
    assert within_for(delay) == within
    assert duration_text(within) == f"{within:g}s"


def test_draft_round_trips_through_the_loader() -> None:
    rows = [
        rec(3, 100.25, Direction.IN, "order.confirmed", {"id": 7, "status": "confirmed"}),
        rec(1, 99.0, Direction.SYSTEM, "joined", {"channel": "orders"}),
        rec(
            2,
            100.0,
            Direction.OUT,
            "order.created",
            {"id": 7, "items": [{"sku": "tea"}]},
            send=SendInfo(Transport.WEBSOCKET, ack=True, state=SendState.OK),
        ),
        rec(
            4,
            101.0,
            Direction.OUT,
            "order.paid",
            {"id": 7},
            send=SendInfo(Transport.REST, state=SendState.ERROR),
        ),
        rec(5, 103.5, Direction.IN, "order.*?\\", {"late": True}),
    ]
    options = ChannelOptions("orders", broadcast_self=True, ack=True, private=True)
    draft = draft_check(rows, options, now=1_700_000_000, source="tab “orders”")
    assert draft.text.startswith("# Drafted by Realtime Inspector from tab “orders” on 2023-11-14")
    assert draft.steps == 5
    assert draft.skipped == []
    assert not draft.redacted
    check = load_text(draft.text, "draft.yaml").checks[0]
    assert check.name == "orders: order.created → order.confirmed → order.paid …"
    join, created, confirmed, paid, late = check.steps
    assert isinstance(join, Join)
    assert (join.channel, join.self_, join.ack, join.private) == ("orders", True, True, True)
    assert isinstance(created, Send)
    assert (created.event, created.payload, created.via) == (
        "order.created",
        {"id": 7, "items": [{"sku": "tea"}]},
        "websocket",
    )
    assert created.expect == "ok"
    assert isinstance(confirmed, Expect)
    assert confirmed.payload == {"id": 7, "status": "confirmed"}
    assert confirmed.has_payload
    assert confirmed.within == pytest.approx(1.3)  # 0.25 s seen + 1 s, rounded up
    assert isinstance(paid, Send)
    assert (paid.via, paid.private, paid.expect) == ("rest", True, "error")
    assert isinstance(late, Expect)
    assert late.within == pytest.approx(5.0)  # 2.5 s seen, doubled
    # The event's wildcards are escaped: the glob matches only the event itself.
    from inspector.client.checks.match import glob_matches

    event = expand_text(late.event, Variables())
    assert glob_matches("order.*?\\", event)
    assert not glob_matches("order.xy\\", event)


def test_variables_binary_and_secrets_never_reach_the_file_as_such() -> None:
    rows = [
        rec(
            1,
            10.0,
            Direction.OUT,
            "{{seq}}.created",
            {"note": "{{uuid}} stays text", "token": JWT},
            send=SendInfo(Transport.WEBSOCKET),
        ),
        rec(2, 10.1, Direction.IN, "bin", b"\x00\x01"),
        rec(
            3,
            10.2,
            Direction.IN,
            "reply",
            {"note": "{{x}}", "apikey": "sb_secret_abcdefghijklmnop"},
        ),
    ]
    draft = draft_check(rows, ChannelOptions("room"), now=0)
    assert draft.redacted
    assert len(draft.skipped) == 1
    assert "in bin at" in draft.skipped[0]
    assert "binary payload (2 bytes)" in draft.skipped[0]
    assert JWT not in draft.text
    assert "sb_secret_abcdefghijklmnop" not in draft.text
    assert "# Not drafted: in bin" in draft.text
    send, expect = load_text(draft.text).checks[0].steps[1:]
    assert isinstance(send, Send)
    assert isinstance(expect, Expect)
    # What the runner expands is what the tab showed (no variable reads {{…}} as one).
    assert expand_text(send.event, Variables()) == "{{seq}}.created"
    sent = expand_json(json.dumps(send.payload), Variables())
    assert sent == {"note": "{{uuid}} stays text", "token": "[redacted]"}
    # The secret is left out of the expect's subset, so the draft still matches.
    assert expand_json(json.dumps(expect.payload), Variables()) == {"note": "{{x}}"}
    # The delay counts from the previous step (the send), not from the skipped binary row.
    assert expect.within == pytest.approx(1.2)


def test_a_selection_of_system_rows_only_drafts_a_join() -> None:
    row = system_record(5.0, "joined", {"channel": "x"})
    draft = draft_check([row], ChannelOptions("x"), now=0)
    assert [s.kind for s in load_text(draft.text).checks[0].steps] == ["join"]


def test_find_row_picks_the_nearest_matching_received_row() -> None:
    payload = {"id": 1}
    rows = [
        rec(1, 100.0, Direction.IN, "e", payload),
        rec(2, 100.4, Direction.IN, "e", payload, meta={"id": "m-2"}),
        rec(3, 100.5, Direction.OUT, "e", payload),  # our own send: never the runner's message
        rec(4, 100.6, Direction.IN, "e", {"id": 2}),
        rec(5, 100.7, Direction.IN, "other", payload),
        rec(6, 120.0, Direction.IN, "e", payload),  # too far
        rec(7, 100.45, Direction.IN, "bin", b"\x01\x02"),
    ]
    assert find_row(rows, event="e", payload=payload, wall=100.5) is rows[1]
    assert find_row(rows, event="e", payload=payload, wall=100.5, message_id="m-9") is rows[0]
    assert find_row(rows, event="e", payload=payload, wall=100.1) is rows[0]
    # A sent message cannot arrive in the tab long before it left.
    assert find_row(rows, event="e", payload=payload, wall=100.3, sent=True) is rows[1]
    assert find_row(rows, event="e", payload=payload, wall=110.0, sent=True) is None
    assert find_row(rows, event="e", payload={"id": 3}, wall=100.5) is None
    assert find_row(rows, event="bin", payload={"$binary": "AQI="}, wall=100.5) is rows[6]
    assert find_row(rows, event="bin", payload={"$binary": "AQM="}, wall=100.5) is None


@pytest.mark.parametrize(
    "hidden", ["\u202eevil", "a\u200bb", "tag\U000e0041x", "soft\xadhyphen", "lone\ud800"]
)
def test_hidden_characters_are_written_as_escapes_and_read_back(hidden: str) -> None:
    """QA: a received ``{"name":"\\u202eevil"}`` was written raw into the YAML, so the draft
    editor showed ``name: live``. The file shows escapes and loads back the same strings."""
    rows = [
        rec(1, 1.0, Direction.OUT, "go" + hidden, {"k" + hidden: hidden}),
        rec(2, 1.5, Direction.IN, "got", {"name": hidden, "plain": "ok"}),
    ]
    draft = draft_check(rows, ChannelOptions("room"), now=0)
    assert not any(ch in draft.text for ch in hidden if ch.isascii() is False and ch != "x")
    assert "\\u" in draft.text or "\\U" in draft.text
    check = load_text(draft.text, "draft.yaml").checks[0]
    _, send, expect = check.steps
    assert isinstance(send, Send)
    assert isinstance(expect, Expect)
    assert send.event == "go" + hidden
    assert send.payload == {"k" + hidden: hidden}
    assert expect.payload == {"name": hidden, "plain": "ok"}
    assert "plain: ok" in draft.text  # other strings keep the plain style
