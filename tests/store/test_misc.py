"""Send history, rate meter, preferences, redaction and NDJSON export/import."""

from __future__ import annotations

import json

import pytest

from inspector.protocol import jwt
from inspector.protocol.redact import contains_secret, redact_text, redact_value
from inspector.store import (
    Direction,
    MessageRecord,
    PayloadFormat,
    Preferences,
    RateMeter,
    SendHistory,
    SendInfo,
    SendState,
    SendTemplate,
    Transport,
)
from inspector.store.channels.history import ENTRY_LIMIT, TOTAL_LIMIT
from inspector.store.transfer.ndjson import export_lines, import_lines

TOKEN = jwt.sign({"role": "anon", "exp": 2_000_000_000}, "x" * 32)


def test_send_history_dedupes_limits_and_roundtrips() -> None:
    h = SendHistory(limit=3)
    for n in range(5):
        h.add(SendTemplate("e", f'{{"n":{n}}}'))
    assert [t.payload for t in h.items] == ['{"n":4}', '{"n":3}', '{"n":2}']
    h.add(SendTemplate("e", '{"n":2}'))
    assert h[0].payload == '{"n":2}'
    assert len(h) == 3
    again = SendHistory.from_data(json.loads(json.dumps(h.to_data())), limit=3)
    assert again.items == h.items
    junk = SendHistory.from_data([{"event": 1}, "x", {"event": "a", "payload": "{}"}])
    assert junk.items == [SendTemplate("a", "{}")]
    assert len(SendHistory.from_data(None)) == 0
    label = SendTemplate("chat", '{\n  "text": "' + "x" * 100 + '"\n}').label(30)
    assert len(label) == 30
    assert "\n" not in label


def test_send_history_caps_entry_and_total_size() -> None:
    """QA 2: whole megabyte payloads were kept and saved; now an entry over 64 KiB is not
    remembered and a tab keeps at most 256 KiB, dropping the oldest."""
    h = SendHistory()
    big = SendTemplate("e", "x" * ENTRY_LIMIT)  # event + payload: one over the limit
    assert not h.fits(big)
    assert h.add(big) is False
    assert len(h) == 0
    almost = [SendTemplate("e", f"{n:06d}" + "y" * (ENTRY_LIMIT - 7)) for n in range(6)]
    for item in almost:
        assert item.size == ENTRY_LIMIT
        assert h.add(item) is True
    assert h.total_size <= TOTAL_LIMIT
    assert len(h) == TOTAL_LIMIT // ENTRY_LIMIT
    assert h.items == almost[::-1][: len(h)]  # the newest kept, the oldest dropped
    # What an older version saved (a 3 MB payload among small ones) loads without it.
    saved = [{"event": "a", "payload": "{}"}, {"event": "b", "payload": "z" * 3_000_000}]
    assert SendHistory.from_data(saved).items == [SendTemplate("a", "{}")]


def test_rate_meter() -> None:
    m = RateMeter(window=2.0, buckets=8)
    assert m.rate(0.0) == 0.0
    for i in range(200):
        m.add(10.0 + i * 0.01)  # 100/s for 2 s
    assert 90 <= m.rate(12.0) <= 110
    assert m.rate(20.0) == 0.0
    assert m.total == 200
    with pytest.raises(ValueError):
        RateMeter(window=0)


def test_preferences_clamp_and_roundtrip() -> None:
    p = Preferences.from_dict({"ring_capacity": "50", "coalesce_ms": 1000, "push_timeout_s": "x"})
    assert p.ring_capacity == 100
    assert p.coalesce_ms == 250
    assert p.push_timeout_s == 10.0
    assert Preferences.from_dict(Preferences(ring_capacity=2000).to_dict()).ring_capacity == 2000
    assert Preferences.from_dict(None) == Preferences()


def test_redact_text_hides_every_secret_shape() -> None:
    text = (
        f"url ws://h/realtime/v1/websocket?apikey={TOKEN}&vsn=2.0.0 "
        f"Authorization: Bearer {TOKEN} apikey: sb_publishable_abc123 "
        f'{{"access_token":"{TOKEN}"}} token=plainsecret'
    )
    out = redact_text(text)
    assert TOKEN not in out
    assert "sb_publishable_abc123" not in out
    assert "plainsecret" not in out
    assert "vsn=2.0.0" in out
    assert contains_secret(text)
    assert not contains_secret(out)
    assert redact_text("nothing to hide here") == "nothing to hide here"


def test_redact_value() -> None:
    data = {"apikey": "k", "nested": [{"Authorization": "Bearer q"}, TOKEN], "n": 1, "apikey2": ""}
    out = redact_value(data)
    assert out["apikey"] == "[redacted]"
    assert out["nested"][0]["Authorization"] == "[redacted]"
    assert out["nested"][1] == "[redacted]"
    assert out["n"] == 1


def test_ndjson_roundtrip_redacts_and_tolerates_junk() -> None:
    records = [
        MessageRecord(
            time=1.5,
            direction=Direction.IN,
            event="chat",
            payload=b'{"text":"hi"}',
            meta=b'{"id":"m1"}',
        ),
        MessageRecord(
            time=2.0,
            direction=Direction.IN,
            event="bin",
            payload=b"\x00\x01",
            format=PayloadFormat.BINARY,
        ),
        MessageRecord(
            time=3.0,
            direction=Direction.OUT,
            event="tok",
            payload=b'{"access_token":"' + TOKEN.encode() + b'"}',
            send=SendInfo(Transport.REST, False, SendState.OK, 3.5, 202),
        ),
        MessageRecord(time=4.0, direction=Direction.SYSTEM, event="raw", payload=b"not json"),
    ]
    lines = list(export_lines(records, "room-1"))
    assert all(TOKEN not in line for line in lines)
    result = import_lines([*lines, "", "garbage", "[1]", '{"direction":"sideways"}'])
    assert [n for n, _ in result.errors] == [6, 7, 8]
    assert [c for c, _ in result.records] == ["room-1"] * 4
    back = [r for _, r in result.records]
    assert back[0].payload_json() == {"text": "hi"}
    assert back[0].meta_json() == {"id": "m1"}
    assert back[1].payload == b"\x00\x01"
    assert back[1].format is PayloadFormat.BINARY
    assert back[2].send is not None
    assert back[2].send.status_text() == "REST 202 · 3.5 ms"
    assert back[2].payload_json() == {"access_token": "[redacted]"}
    assert back[3].payload == b"not json"
