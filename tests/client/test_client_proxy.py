"""Proxies as websockets 15+ finds them: ``ws_proxy``/``https_proxy``/``http_proxy`` (any
case), ``no_proxy``; read again whenever they change (the client remembers the answer per
value, issue #14 §3)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from client_helpers import TIMEOUT

from inspector.client import RealtimeClient
from inspector.server import RealtimeServer

PROXY_VARS = [
    f"{base}_proxy" if lower else f"{base.upper()}_PROXY"
    for base in ("ws", "wss", "socks", "https", "http", "no", "all")
    for lower in (True, False)
]


@dataclass
class ConnectProxy:
    """An HTTP proxy on loopback that answers CONNECT and pipes bytes both ways."""

    port: int = 0
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def connect_proxy() -> AsyncIterator[ConnectProxy]:
    proxy = ConnectProxy()
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers = [writer]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode()
            proxy.requests.append(line)
            method, target, _ = line.split(" ", 2)
            if method != "CONNECT":
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                return
            host, _, port = target.rpartition(":")
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writers.append(up_writer)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for each in writers:
                each.close()

    def spawn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(handle(reader, writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(spawn, "127.0.0.1", 0)
    proxy.port = server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("variable", ["ws_proxy", "HTTPS_PROXY", "http_proxy"])
async def test_the_websocket_goes_through_the_proxy_of_the_environment(
    server: RealtimeServer,
    make_client: Callable[..., RealtimeClient],
    no_proxy_env: pytest.MonkeyPatch,
    variable: str,
) -> None:
    async with connect_proxy() as proxy:
        no_proxy_env.setenv(variable, proxy.url)
        client = make_client()
        await asyncio.wait_for(client.connect(), TIMEOUT)
        await client.join("room-1", timeout=TIMEOUT)
        assert proxy.requests == [f"CONNECT 127.0.0.1:{server.port} HTTP/1.1"]

        # no_proxy lists the host: straight there, although the answer was remembered
        no_proxy_env.setenv("no_proxy", "127.0.0.1")
        direct = make_client()
        await asyncio.wait_for(direct.connect(), TIMEOUT)
        no_proxy_env.delenv("no_proxy")
        no_proxy_env.delenv(variable)
        plain = make_client()
        await asyncio.wait_for(plain.connect(), TIMEOUT)
        assert len(proxy.requests) == 1

        no_proxy_env.setenv(variable, proxy.url)  # set again: through the proxy again
        again = make_client()
        await asyncio.wait_for(again.connect(), TIMEOUT)
        assert len(proxy.requests) == 2
