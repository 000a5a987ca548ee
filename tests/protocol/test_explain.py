"""Errors explained (issue #15 item 6): every reason text of the spec has an entry in the one
table, :mod:`inspector.protocol.explain`; so do the local server's and the client's own texts.

How the spec is read (docs/realtime-protocol.md; the test fails when the spec
gains a reason the table lacks). Only these sections are read, the ones that list what a
client is told: §1.4 (handshake failures), §4.4 (join replies), §4.5 (system messages after a
join), §4.6 (leaving, closing, errors), §5.2 (ack replies), §6.1 and §6.2 (REST answers), §7.3
(close codes), §7.4 (token refresh), §8.2 and §8.5 (presence), §10 (limits and their errors).
In them, a reason text is:

1. a code span (single or double backticks) that reads like a message: it starts with a
   capital letter, holds a space and only letters, digits, spaces, ``,.:'-``, backticks,
   ``<placeholder>`` and ``…`` (so ``phx_close``, ``ack:true``, paths and JSON are not);
2. a code span that is one JSON string (`` `"payload_size_exceeded"` ``);
3. the string value of a ``"reason"``, ``"message"`` or ``"error"`` key;
4. a code span right after the word ``reason`` or ``message`` (``reason `heartbeat timeout```);
5. in a table row, or a line that says ``system error`` or ``CHANNEL_ERROR``, a double-quoted
   string that reads like a message (``"Query canceled"``, ``system error "Too many ..."``);
6. the close codes in the first column of the §7.3 table.

Texts that are only placeholders (``<text>``) are dropped, and :data:`NOT_REASONS` lists the
few matches that are not reasons, each with why.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest

from inspector.client.errors import close_text, translate
from inspector.protocol.explain import EXPLANATIONS, explain, explain_close, explained

#: The project's copy of the spec (the same text as the shared one).
SPEC = Path(__file__).resolve().parents[2] / "docs" / "realtime-protocol.md"

SECTIONS = ("1.4", "4.4", "4.5", "4.6", "5.2", "6.1", "6.2", "7.3", "7.4", "8.2", "8.5", "10")

#: Matches of the rules above that are not reasons a client is told.
NOT_REASONS = {
    "Authorization: Bearer <jwt>": "a request header (§6.1), not an answer",
    "disconnect": "Phoenix's internal event name in a source reference (§7.3)",
    "system error then close": "the name the spec gives a pattern (§4.6)",
}

_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_SENTENCE = re.compile(r"^[A-Z][A-Za-z0-9 ,.:'`<>…-]*$")
_JSON_VALUE = re.compile(r'"(?:reason|message|error)"\s*:\s*"([^"]+)"')
_NAMED = re.compile(r"\b(?:reason|message) `([^`]+)`")
_QUOTED = re.compile(r'"([^"]+)"')
_QUOTED_MESSAGE = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.:'`<>…/-]*$")


def spec_sections() -> dict[str, str]:
    """Section number -> its text (up to the next ``##``/``###`` heading)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#{2,3} (\d+(?:\.\d+)?)[ .]", line)
        if heading:
            current = heading.group(1)
            out.setdefault(current, [])
        elif current is not None:
            out[current].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def reasons_in(text: str) -> set[str]:
    found: set[str] = set()
    for m in _CODE_SPAN.finditer(text):
        span = m.group(2).strip()
        if span.startswith('"') and span.endswith('"') and span.count('"') == 2:
            found.add(span[1:-1])
        elif " " in span and _SENTENCE.match(span):
            found.add(span)
    found.update(m.group(1) for m in _JSON_VALUE.finditer(text))
    found.update(m.group(1) for m in _NAMED.finditer(text))
    for line in text.splitlines():
        if line.startswith("|") or "system error" in line or "CHANNEL_ERROR" in line:
            for m in _QUOTED.finditer(line):
                q = m.group(1)
                if " " in q and _QUOTED_MESSAGE.match(q):
                    found.add(q)
    return {f for f in found if re.search(r"[A-Za-z]{2}", re.sub(r"<[^>]*>", "", f))}


def spec_reasons() -> list[str]:
    sections = spec_sections()
    missing = [s for s in SECTIONS if s not in sections]
    assert not missing, f"the spec has no section {missing}: update SECTIONS"
    found: set[str] = set()
    for number in SECTIONS:
        found |= reasons_in(sections[number])
    return sorted(found - NOT_REASONS.keys())


def spec_close_codes() -> list[int]:
    table = spec_sections()["7.3"]
    return [int(m.group(1)) for m in re.finditer(r"^\| (\d{4})\b", table, re.MULTILINE)]


def instance(text: str) -> str:
    """The text as a server writes it: placeholders filled in."""
    return re.sub(r"<[^>]*>", "room-1", text).replace("…", " (details)")


def test_the_spec_parse_finds_the_known_reasons() -> None:
    """The parse itself works (a broken regex must not make the main test pass vacuously)."""
    found = spec_reasons()
    assert len(found) >= 60
    for known in (
        "API key is missing",
        "TopicNameRequired: You must provide a topic name",
        "InvalidJWTToken: Fields `role` and `exp` are required in JWT",
        "JwtSignerError: Failed to generate JWT signer…",
        "payload_size_exceeded",
        "heartbeat timeout",
        "Query canceled",
        "Too many messages per second",
        "Server requested disconnect",
        "unmatched topic",
        "Presence track payload must be a map",
    ):
        assert known in found
    assert spec_close_codes() == [1000, 1005, 1001, 1012, 1006]


@pytest.mark.parametrize("reason", spec_reasons())
def test_every_reason_of_the_spec_has_its_own_entry(reason: str) -> None:
    entry = explain(instance(reason))
    assert entry is not None, f"no explanation for the spec's {reason!r}"
    assert entry.text == reason, f"{reason!r} is explained by the entry for {entry.text!r}"


@pytest.mark.parametrize("code", spec_close_codes())
def test_every_close_code_of_the_spec_has_an_entry(code: int) -> None:
    entry = explain_close(code)
    assert entry is not None
    assert explain(close_text(code, "")) is entry  # as the status area writes it


def test_entries_are_complete_and_unique() -> None:
    texts = [e.text for e in EXPLANATIONS]
    assert len(texts) == len(set(texts))
    for e in EXPLANATIONS:
        assert e.meaning.strip()
        assert e.cause.strip()
        assert e.action.strip()


def test_wrapped_texts_are_found() -> None:
    """As the window shows them: the HTTP status before a handshake text, the client's
    sentence around a join refusal, the longest entry winning."""
    assert explain("HTTP 401: Token has expired").text == "Token has expired"  # type: ignore[union-attr]
    refused = "joining realtime:x was refused: InvalidJWTToken: Token has expired 12 seconds ago"
    assert explain(refused).text == "InvalidJWTToken: Token has expired <N> seconds ago"  # type: ignore[union-attr]
    assert explain("something nobody wrote") is None
    assert explained("something nobody wrote") == "something nobody wrote"
    tip = explained("ChannelRateLimitReached: Too many channels")
    assert tip.startswith("ChannelRateLimitReached: Too many channels\n\n")
    assert "Likely cause:" in tip
    assert "What to do:" in tip


def test_the_local_servers_own_texts_are_explained() -> None:
    from inspector.server import channel_logic, limits, rest

    texts = [
        channel_logic.TOPIC_NAME_REQUIRED,
        channel_logic.TOO_MANY_CHANNELS,
        channel_logic.REPLAY_PUBLIC,
        channel_logic.REPLAY_INVALID,
        channel_logic.unauthorized("room-1"),
        channel_logic.no_longer_permitted("room-1"),
        limits.TOO_MANY_MESSAGES,
        limits.PRESENCE_RATE_LIMIT,
        limits.TRACK_TOO_BIG,
        limits.PRESENCE_SOCKET_FULL,
        limits.PRESENCE_SERVER_FULL,
        rest.TOO_MANY_MESSAGES,
        "Malformed JSON body",
        "Host not allowed: this local server answers only requests addressed to localhost",
        "Origin not allowed: web pages may connect only from localhost",
    ]
    for text in texts:
        assert explain(text) is not None, text


def test_the_clients_own_texts_are_explained() -> None:
    cert = ssl.SSLCertVerificationError("certificate verify failed")
    cert.verify_message = "self-signed certificate"
    errors = [
        translate(ConnectionRefusedError(111, "Connection refused")),
        translate(socket.gaierror(-2, "Name or service not known")),
        translate(TimeoutError()),
        translate(cert),
    ]
    for error in errors:
        assert explain(error.message) is not None, error.message
    for text in (
        "heartbeat timeout",
        "join timed out",
        "timed out",
        "connection lost; rejoins when it is back",
        close_text(1006, ""),
        close_text(1000, "heartbeat timeout"),
        "the server refused the connection with HTTP 404",
    ):
        assert explain(text) is not None, text


async def test_the_local_server_stopping_is_explained_as_such(server: Any) -> None:
    """QA of issue #15 item 6: the local server closes every socket with 1001 "server shutting
    down" when it stops; the window said the likely cause was too many joins per second or an
    unknown project (the 1001 of Supabase's join limits)."""
    import websockets

    base = server.url.replace("http://", "ws://")
    ws = await websockets.connect(
        f"{base}/realtime/v1/websocket?apikey={server.anon_key}&vsn=2.0.0"
    )
    await server.stop()
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 1001
    entry = explain(close_text(ws.close_code, ws.close_reason or ""))
    assert entry is not None
    assert "stop" in entry.meaning
    assert "joins per second" not in entry.cause
    assert explain(close_text(1001, "")) is explain_close(1001)  # Supabase's 1001 as before
