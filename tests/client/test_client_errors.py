"""The one place third-party exceptions become typed errors (errors.translate), as a unit."""

from __future__ import annotations

import socket
import ssl
import traceback

import httpx
import pytest
import websockets.exceptions as wsx
from websockets.datastructures import Headers
from websockets.frames import Close
from websockets.http11 import Response

from inspector.client import (
    AuthRejected,
    ConnectError,
    ConnectionLost,
    EndpointNotFound,
    HandshakeRejected,
    HostUnreachable,
    InspectorError,
    InvalidSettings,
    RateLimited,
    TlsError,
)
from inspector.client.errors import translate
from inspector.protocol.jwt import demo_key

KEY = demo_key("anon")


def status(code: int, body: bytes) -> wsx.InvalidStatus:
    return wsx.InvalidStatus(Response(code, "", Headers(), body))


@pytest.mark.parametrize(
    ("code", "body", "cls", "text"),
    [
        (401, b'{"error":"Token has expired"}', AuthRejected, "Token has expired"),
        (403, b"", AuthRejected, ""),
        (
            403,
            b'{"error":"Realtime was disabled for this tenant"}',
            AuthRejected,
            "Realtime was disabled for this tenant",
        ),
        (404, b'{"error":"Tenant not found"}', EndpointNotFound, "Tenant not found"),
        (429, b'{"error":"Too many connected users"}', RateLimited, "Too many connected users"),
        (
            500,
            b'{"message":"Error connecting to Realtime"}',
            HandshakeRejected,
            "Error connecting to Realtime",
        ),
        (502, b"<html>bad gateway</html>", HandshakeRejected, "<html>bad gateway</html>"),
    ],
)
def test_handshake_statuses_keep_status_and_server_text(
    code: int, body: bytes, cls: type[HandshakeRejected], text: str
) -> None:
    err = translate(status(code, body))
    assert type(err) is cls
    assert (err.status, err.body, err.server_message) == (code, body, text)
    suffix = f": {text}" if text else ""
    assert err.message == f"the server refused the connection with HTTP {code}{suffix}"


def test_secrets_in_server_text_are_redacted() -> None:
    err = translate(status(401, f'{{"error":"bad token {KEY}"}}'.encode()))
    leaked = KEY in err.message  # a bool: a failure never prints the secret
    assert not leaked
    assert isinstance(err, HandshakeRejected)
    leaked = KEY in err.server_message  # a bool: a failure never prints the secret
    assert not leaked


@pytest.mark.parametrize(
    ("exc", "cls", "words"),
    [
        (ConnectionRefusedError(111, "refused"), HostUnreachable, "refused the connection"),
        (socket.gaierror(-2, "Name or service not known"), HostUnreachable, "name lookup failed"),
        (TimeoutError(), HostUnreachable, "did not answer in time"),
        (OSError(101, "Network is unreachable"), HostUnreachable, "Network is unreachable"),
        (ssl.SSLError(1, "WRONG_VERSION_NUMBER"), TlsError, "TLS handshake"),
        (httpx.ConnectTimeout("slow"), HostUnreachable, "did not answer in time"),
        (httpx.ConnectError("connection refused"), HostUnreachable, "cannot reach"),
        (httpx.InvalidURL("bad"), InvalidSettings, "invalid"),
        (wsx.InvalidURI("x://", "bad scheme"), InvalidSettings, "invalid"),
        (wsx.InvalidMessage("did not receive a valid HTTP response"), ConnectError, "handshake"),
        (RuntimeError("boom"), InspectorError, "unexpected error"),
    ],
)
def test_transport_errors(exc: BaseException, cls: type[InspectorError], words: str) -> None:
    err = translate(exc, what="the server at h:1")
    assert type(err) is cls
    assert words in err.message
    assert "\n" not in err.message


def test_connection_closed_carries_code_and_reason() -> None:
    err = translate(wsx.ConnectionClosedError(Close(1001, "going away"), None))
    assert isinstance(err, ConnectionLost)
    assert (err.code, err.reason, err.message) == (
        1001,
        "going away",
        "socket closed: 1001 (going away)",
    )
    abrupt = translate(wsx.ConnectionClosedError(None, None))
    assert isinstance(abrupt, ConnectionLost)
    assert abrupt.message == "socket closed: 1006"


def test_typed_errors_pass_through_and_chain() -> None:
    original = InvalidSettings("x")
    assert translate(original) is original


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        httpx.ConnectTimeout("slow"),
        wsx.ConnectionClosedError(None, None),
        RuntimeError("boom"),
    ],
)
def test_translated_errors_are_chained_from_the_original(exc: BaseException) -> None:
    """``raise ... from exc`` semantics: the cause is the original, the context is hidden."""
    err = translate(exc)
    assert err is not exc
    assert err.__cause__ is exc
    assert err.__suppress_context__
    try:
        raise err
    except InspectorError as raised:
        text = "".join(traceback.format_exception(raised))
    assert "The above exception was the direct cause" in text
    assert type(exc).__name__ in text
