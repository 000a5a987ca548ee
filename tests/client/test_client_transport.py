"""The client's own websocket transport (issue #14 §5): what the asyncio API of websockets gave
must still hold. Peers are real sockets: a raw TCP server that writes exactly the bytes a test
wants (several frames per write, split frames, pings, fragments, bad frames), websockets'
own server, a TLS front in front of the local server, and the local server itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from client_helpers import TIMEOUT, EventLog, FrameLog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from test_client_proxy import connect_proxy
from websockets.utils import accept_key

from inspector.client import (
    AuthRejected,
    BroadcastReceived,
    ChannelState,
    ChannelStateChanged,
    ClientSettings,
    ConnectionLost,
    ErrorOccurred,
    RealtimeClient,
    TlsError,
)
from inspector.client.transport import WebSocket, open_websocket
from inspector.server import RealtimeServer

MAX = 1 << 20


def frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0) -> bytes:
    """A server frame (unmasked)."""
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


def unmask(data: bytes) -> list[tuple[int, bytes]]:
    """Client frames (masked) -> [(opcode, payload)]; whole frames only."""
    out = []
    pos = 0
    while pos + 2 <= len(data):
        op = data[pos] & 0x0F
        n = data[pos + 1] & 0x7F
        start = pos + 2
        if n == 126:
            n = struct.unpack("!H", data[start : start + 2])[0]
            start += 2
        elif n == 127:
            n = struct.unpack("!Q", data[start : start + 8])[0]
            start += 8
        mask = data[start : start + 4]
        start += 4
        if start + n > len(data):
            break
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data[start : start + n]))
        out.append((op, body))
        pos = start + n
    return out


@dataclass
class RawPeer:
    """One accepted connection of :func:`raw_server`, after it answered the handshake."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    request: bytes

    async def read_frames(self, count: int) -> list[tuple[int, bytes]]:
        data = b""
        while len(unmask(data)) < count:
            chunk = await asyncio.wait_for(self.reader.read(65536), TIMEOUT)
            if not chunk:
                break
            data += chunk
        return unmask(data)


@dataclass
class RawServer:
    port: int = 0
    peers: asyncio.Queue[RawPeer] = field(default_factory=asyncio.Queue)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/socket"


@contextlib.asynccontextmanager
async def raw_server(answer: Callable[[bytes], bytes] | None = None) -> AsyncIterator[RawServer]:
    """A TCP server that answers the upgrade (101, or ``answer(request)``) and then leaves the
    socket to the test as a :class:`RawPeer`."""
    raw = RawServer()
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        request = await reader.readuntil(b"\r\n\r\n")
        if answer is not None:
            writer.write(answer(request))
            await writer.drain()
            writer.close()
            return
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_key(key).encode() + b"\r\n\r\n"
        )
        await writer.drain()
        raw.peers.put_nowait(RawPeer(reader, writer, request))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    raw.port = server.sockets[0].getsockname()[1]
    try:
        yield raw
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


@dataclass
class Opened:
    ws: WebSocket
    peer: RawPeer
    messages: list[str | bytes]
    lost: asyncio.Event
    arrived: asyncio.Event

    async def wait_messages(self, count: int) -> list[str | bytes]:
        async def until() -> None:
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(until(), TIMEOUT)
        return self.messages


async def open_raw(raw: RawServer, max_size: int = MAX) -> Opened:
    ws = await open_websocket(raw.url, open_timeout=TIMEOUT, max_size=max_size, close_timeout=2)
    peer = await asyncio.wait_for(raw.peers.get(), TIMEOUT)
    messages: list[str | bytes] = []
    lost, arrived = asyncio.Event(), asyncio.Event()

    def on_messages(batch: list[str | bytes]) -> None:
        messages.extend(batch)
        arrived.set()

    ws.attach(on_messages, lost.set, None)
    return Opened(ws, peer, messages, lost, arrived)


async def test_every_frame_of_one_read_is_delivered_in_order_and_split_frames_are_joined() -> None:
    async with raw_server() as raw:
        opened = await open_raw(raw)
        big = b"x" * 70_000  # a 64-bit length
        burst = b"".join(frame(1, f"m{i}".encode()) for i in range(200))
        burst += frame(2, b"\x00\xff") + frame(1, "é".encode() * 200) + frame(2, big)
        opened.peer.writer.write(burst[:3])  # a header cut in two
        await opened.peer.writer.drain()
        opened.peer.writer.write(burst[3:100_000])
        await opened.peer.writer.drain()
        opened.peer.writer.write(burst[100_000:])
        got = await opened.wait_messages(203)
        assert got[:200] == [f"m{i}" for i in range(200)]
        assert got[200:] == [b"\x00\xff", "é" * 200, big]
        await opened.ws.close()


async def test_fragments_pings_and_the_peers_close_go_through_the_protocol() -> None:
    async with raw_server() as raw:
        opened = await open_raw(raw)
        w = opened.peer.writer
        w.write(
            frame(1, b"frag", fin=False)
            + frame(9, b"are you there")  # a ping between fragments
            + frame(0, "mented é".encode()[:8], fin=False)
            + frame(0, "mented é".encode()[8:])
            + frame(2, b"after")
        )
        assert await opened.wait_messages(2) == ["fragmented é", b"after"]
        assert await opened.peer.read_frames(1) == [(0xA, b"are you there")]  # the pong
        w.write(frame(8, close_payload(4000, "bye now")))
        assert await opened.peer.read_frames(1) == [(8, close_payload(4000, "bye now"))]
        w.close()
        await asyncio.wait_for(opened.lost.wait(), TIMEOUT)
        assert (opened.ws.close_code, opened.ws.close_reason) == (4000, "bye now")


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (frame(1, b"\xff\xfe"), 1007),  # text that is not UTF-8
        (frame(1, b"abc", rsv=0x40), 1002),  # RSV1 without an extension
        (frame(0, b"abc"), 1002),  # a continuation with nothing to continue
        (frame(9, b"p" * 126), 1002),  # a control frame over 125 bytes
        (frame(2, b"y" * 2000), 1009),  # over max_size
        (b"\x82\x7f" + b"\x7f" * 8, 1009),  # a claimed 2**63 bytes: refused from the header
    ],
)
async def test_a_bad_frame_fails_the_connection_with_its_close_code(bad: bytes, code: int) -> None:
    async with raw_server() as raw:
        opened = await open_raw(raw, max_size=1000)
        opened.peer.writer.write(frame(1, b"before") + bad + frame(1, b"never"))
        closing = await opened.peer.read_frames(1)
        assert closing[0][0] == 8
        assert struct.unpack("!H", closing[0][1][:2])[0] == code
        assert opened.messages == ["before"]
        opened.peer.writer.write(frame(8, closing[0][1]))
        opened.peer.writer.close()
        await asyncio.wait_for(opened.lost.wait(), TIMEOUT)
        assert opened.ws.close_code == 1006  # we failed it; its reply is not read (RFC 6455)
        assert opened.ws.failure is not None
        assert opened.ws.failure[0] == code


async def test_writes_wait_while_the_peer_does_not_read_and_all_arrive_in_order() -> None:
    async with raw_server() as raw:
        opened = await open_raw(raw)
        transport = opened.ws.transport
        assert transport is not None
        _low, high = transport.get_write_buffer_limits()
        chunk = b"z" * 60_000
        opened.ws.send_many([chunk] * 500 + ["last"])  # 30 MB for a peer that reads nothing
        # the socket buffer stays near its high-water mark: the rest waits, in order
        assert transport.get_write_buffer_size() < high + 300_000
        expected = 500 * (8 + 60_000) + (6 + 4)  # headers with their masks
        data = bytearray()
        while len(data) < expected:
            more = await asyncio.wait_for(opened.peer.reader.read(1 << 20), TIMEOUT)
            assert more
            data += more
        frames = unmask(bytes(data))
        assert len(frames) == 501
        assert frames[-1] == (1, b"last")
        assert all(f == (2, chunk) for f in frames[:-1])
        await opened.ws.close()


async def test_a_refused_upgrade_keeps_its_status_and_body_even_in_pieces() -> None:
    body = b'{"message":"Failed to validate JWT signature"}'

    def answer(_request: bytes) -> bytes:
        return (
            b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )

    async with raw_server(answer) as raw:
        client = RealtimeClient(ClientSettings(f"http://127.0.0.1:{raw.port}", "anon-key"))
        with pytest.raises(AuthRejected) as caught:
            await client.connect()
        assert caught.value.status == 401
        assert caught.value.body == body
        assert caught.value.message == (
            "the server refused the connection with HTTP 401: Failed to validate JWT signature"
        )
        await client.close()


async def test_a_redirect_is_followed(server: RealtimeServer) -> None:
    def answer(request: bytes) -> bytes:
        query = request.split(b" ", 2)[1].partition(b"?")[2]  # the key and vsn go along
        target = server.ws_url.encode() + b"?" + query
        return b"HTTP/1.1 302 Found\r\nLocation: " + target + b"\r\ncontent-length: 0\r\n\r\n"

    async with raw_server(answer) as raw:
        log = EventLog()
        client = RealtimeClient(
            ClientSettings(f"ws://127.0.0.1:{raw.port}/socket", server.anon_key), on_event=log
        )
        await asyncio.wait_for(client.connect(), TIMEOUT)
        await client.join("room-1", timeout=TIMEOUT)
        await client.close()


# ---------------------------------------------------------------------------------- TLS


def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextlib.asynccontextmanager
async def tls_front(server: RealtimeServer, cert: Path, key: Path) -> AsyncIterator[int]:
    """A TLS server on loopback that pipes every connection to the local server."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    tasks: set[asyncio.Task[None]] = set()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert server.port is not None
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            writer.close()
            up_writer.close()

    def spawn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(handle(reader, writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    front = await asyncio.start_server(spawn, "127.0.0.1", 0, ssl=ctx)
    try:
        yield front.sockets[0].getsockname()[1]
    finally:
        front.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_wss_with_a_trusted_certificate_joins_and_receives(
    server: RealtimeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted as the system store would be
    async with tls_front(server, cert, key) as port:
        log = EventLog()
        client = RealtimeClient(
            ClientSettings(f"https://localhost:{port}", server.anon_key), on_event=log
        )
        try:
            await asyncio.wait_for(client.connect(), TIMEOUT)
            await client.join("room-1", timeout=TIMEOUT)
            server.publish("room-1", "hello", {"n": 1})
            got = await log.wait_for(BroadcastReceived)
            assert got.json_payload() == {"n": 1}
        finally:
            await client.close()


async def test_wss_with_an_untrusted_certificate_is_a_tls_error(
    server: RealtimeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with tls_front(server, cert, key) as port:
        client = RealtimeClient(ClientSettings(f"https://localhost:{port}", server.anon_key))
        with pytest.raises(TlsError, match="the TLS certificate of the server at localhost"):
            await asyncio.wait_for(client.connect(), TIMEOUT)
        await client.close()


# ------------------------------------------------------------------- close handshake


async def test_closing_waits_for_the_peers_close_reply() -> None:
    async with raw_server() as raw:
        opened = await open_raw(raw)
        closing = asyncio.ensure_future(opened.ws.close(1000, "client closed"))
        assert await opened.peer.read_frames(1) == [(8, close_payload(1000, "client closed"))]
        assert not closing.done()
        opened.peer.writer.write(frame(8, close_payload(1000, "client closed")))
        opened.peer.writer.close()
        await asyncio.wait_for(closing, TIMEOUT)
        assert opened.ws.close_code == 1000
        assert opened.lost.is_set()


async def test_closing_a_peer_that_never_answers_ends_after_the_close_timeout() -> None:
    async with raw_server() as raw:
        opened = await open_raw(raw)
        await asyncio.wait_for(opened.ws.close(), TIMEOUT)  # close_timeout is 2 s
        assert opened.ws.close_code == 1006


async def test_the_servers_close_code_and_reason_are_reported(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    log = EventLog()
    client = make_client(on_event=log, reconnect_schedule=(30.0,))
    await client.connect()
    await server.close_all(4001, "maintenance")
    lost = await log.wait_for(ErrorOccurred)
    assert isinstance(lost.error, ConnectionLost)
    assert (lost.error.code, lost.error.reason) == (4001, "maintenance")
    assert lost.error.message == "the connection was lost (socket closed: 4001 (maintenance))"


async def test_wss_through_an_http_proxy(
    server: RealtimeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    for name in ("no_proxy", "NO_PROXY", "wss_proxy", "WSS_PROXY", "socks_proxy", "SOCKS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    async with tls_front(server, cert, key) as port, connect_proxy() as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        client = RealtimeClient(ClientSettings(f"https://localhost:{port}", server.anon_key))
        try:
            await asyncio.wait_for(client.connect(), TIMEOUT)  # TLS inside the CONNECT tunnel
            await client.join("room-1", timeout=TIMEOUT)
            assert proxy.requests == [f"CONNECT localhost:{port} HTTP/1.1"]
        finally:
            await client.close()


async def test_frames_sent_as_the_socket_opens_reach_the_tap(
    server: RealtimeServer, make_client: Callable[..., RealtimeClient]
) -> None:
    frames, log = FrameLog(), EventLog()
    client = make_client(on_frame=frames, on_event=log)
    await client.join("room-1", wait=False)  # waits in the buffer, sent by the first pump
    await client.connect()
    await log.wait_for(ChannelStateChanged, lambda e: e.state is ChannelState.JOINED)
    events = [(r.direction, getattr(r.decoded(), "event", None)) for r in frames.records]
    assert ("out", "phx_join") in events
    assert events.index(("out", "phx_join")) < events.index(("in", "phx_reply"))


async def test_a_frame_we_refuse_is_the_reported_reason_for_the_end() -> None:
    async with raw_server() as raw:
        log = EventLog()
        client = RealtimeClient(
            ClientSettings(
                f"ws://127.0.0.1:{raw.port}/socket", "anon-key", reconnect_schedule=(30.0,)
            ),
            on_event=log,
        )
        try:
            await asyncio.wait_for(client.connect(), TIMEOUT)
            peer = await asyncio.wait_for(raw.peers.get(), TIMEOUT)
            peer.writer.write(b"\x82\x7f" + (1 << 40).to_bytes(8, "big"))  # claims 1 TiB
            (closing,) = await peer.read_frames(1)
            peer.writer.write(frame(8, closing[1]))
            peer.writer.close()
            lost = await log.wait_for(ErrorOccurred)
            assert isinstance(lost.error, ConnectionLost)
            assert lost.error.code == 1009
            assert lost.error.message.startswith("the connection was lost (socket closed: 1009 (")
        finally:
            await client.close()
