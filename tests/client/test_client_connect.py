"""Connecting and the typed errors of a failed connect, over real sockets (§1.4)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from client_helpers import EventLog

from inspector.client import (
    AuthRejected,
    ClientSettings,
    ClientStateError,
    ConnectionState,
    ConnectionStateChanged,
    EndpointNotFound,
    ErrorOccurred,
    HostUnreachable,
    RealtimeClient,
    TlsError,
)
from inspector.protocol.jwt import CLI_DEMO_EXP, sign
from inspector.server import RealtimeServer
from inspector.server.notes import SocketOpened, fingerprint


async def test_connect_reports_states_and_close_ends_them(
    make_client: Callable[..., RealtimeClient],
) -> None:
    log = EventLog()
    client = make_client(on_event=log)
    await client.connect()
    assert client.state is ConnectionState.OPEN
    await client.close()
    states = [e.state for e in log.of(ConnectionStateChanged)]
    assert states == [ConnectionState.CONNECTING, ConnectionState.OPEN, ConnectionState.CLOSED]
    with pytest.raises(ClientStateError, match="closed"):
        await client.connect()


async def test_bad_signature_is_http_401_with_the_servers_text(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    forged = sign({"role": "anon", "exp": CLI_DEMO_EXP}, "not-the-secret-" * 3)
    log = EventLog()
    client = make_client(api_key=forged, on_event=log)
    with pytest.raises(AuthRejected) as info:
        await client.connect()
    err = info.value
    assert err.status == 401
    assert err.server_message == "Failed to validate JWT signature"
    assert err.message == (
        "the server refused the connection with HTTP 401: Failed to validate JWT signature"
    )
    leaked = forged in err.message  # a bool: a failure never prints the secret
    assert not leaked
    assert client.state is ConnectionState.CLOSED
    assert log.of(ErrorOccurred)[0].error is err


async def test_expired_key_says_so(make_client: Callable[..., RealtimeClient]) -> None:
    expired = sign(
        {"role": "anon", "exp": 1000}, "super-secret-jwt-token-with-at-least-32-characters-long"
    )
    with pytest.raises(AuthRejected, match="Token has expired"):
        await make_client(api_key=expired).connect()


async def test_wrong_path_is_404(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    client = make_client(url=f"ws://127.0.0.1:{server.port}/nowhere/websocket")
    with pytest.raises(EndpointNotFound) as info:
        await client.connect()
    assert info.value.status == 404


async def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = RealtimeClient(ClientSettings(f"http://127.0.0.1:{port}", "key"))
    try:
        with pytest.raises(HostUnreachable, match="refused"):
            await client.connect()
    finally:
        await client.close()


async def test_tls_to_a_plain_server_is_a_tls_error(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    client = make_client(url=f"https://127.0.0.1:{server.port}")
    with pytest.raises(TlsError, match="TLS"):
        await client.connect()


async def test_unknown_host_is_unreachable() -> None:
    client = RealtimeClient(ClientSettings("https://no-such-host.invalid", "key"))
    try:
        with pytest.raises(HostUnreachable, match="cannot"):
            await client.connect()
    finally:
        await client.close()


async def test_url_query_and_vsn_reach_the_server(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    mark = server.events.mark()
    await make_client(log_level="info", vsn="1").connect()
    rec = await server.events.wait_for(lambda r: isinstance(r.event, SocketOpened), after=mark)
    opened = rec.event
    assert isinstance(opened, SocketOpened)
    assert opened.path == "/realtime/v1/websocket"
    assert opened.query_keys == ("apikey", "log_level", "vsn")
    assert (opened.vsn_param, opened.vsn) == ("1.0.0", "1.0.0")
    assert opened.apikey_fingerprint == fingerprint(server.anon_key)
    mark = server.events.mark()
    await make_client(url=server.ws_url.replace("/websocket", "")).connect()  # …/realtime/v1
    rec = await server.events.wait_for(lambda r: isinstance(r.event, SocketOpened), after=mark)
    assert isinstance(rec.event, SocketOpened)
    assert rec.event.vsn_param == "2.0.0"
