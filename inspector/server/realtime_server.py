"""The local Realtime-compatible server: websocket and REST on one aiohttp port (docs/server.md).

Usage::

    server = RealtimeServer(ServerConfig(port=0))
    await server.start()      # server.url, server.ws_url, server.anon_key, server.service_role_key
    ...
    await server.stop()       # closes every socket, cancels every task

URL layout as Supabase (§1.1): ``/realtime/v1/websocket`` and ``/realtime/v1/api/broadcast…``,
and the Realtime server's own ``/socket/websocket`` and ``/api/broadcast…``.

This module is the composition: it builds the pieces from the config and wires the aiohttp
routes. Dependencies point one way: the server -> client sockets, REST, channel logic -> hub,
tenant limits, authenticator, rules, journal. No piece holds the server.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from inspector.protocol.frames import BROADCAST, ENCODING_BINARY, ENCODING_JSON, Frame, Message
from inspector.protocol.invisible import printable
from inspector.protocol.jwt import JwtError, demo_key, handshake_text, peek
from inspector.protocol.serializer import VSN1, EncodeError, dumps, encode, negotiate_vsn
from inspector.protocol.server_fanout import Fanout

from .auth import Authenticator
from .auth_api import AuthApi
from .channel_logic import ChannelLogic, Peer
from .client_socket import ClientSocket
from .config import ServerConfig
from .exposure import (
    ExposureRefused,
    RequestGuard,
    display,
    exposure_problem,
    exposure_warning,
)
from .faults import Faults
from .gate import ConnectionGate, accept_burst, default_connection_cap
from .hub import Hub
from .limits import OutboundBudget, PresenceBudget, TenantLimits
from .lograte import LogLimiter
from .notes import HandshakeRefused, SocketOpened, fingerprint
from .recorder import Journal
from .rest import RestApi
from .users import Users
from .wsframe import ws_frame

log = logging.getLogger("inspector.server")

#: Sentinel for :meth:`RealtimeServer.inject`: use each channel's current join_ref.
CURRENT = "__current__"

_WS_PATHS = ("/realtime/v1/websocket", "/socket/websocket")
_API_PREFIXES = ("/realtime/v1/api", "/api")


def _claims_of(token: str) -> dict[str, Any]:
    peeked = peek(token)
    assert peeked is not None
    return peeked.claims


def _listen(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        # SO_REUSEADDR: a new server can bind the port of one just stopped.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(512)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Sockets:
    """The open client sockets and the tasks they started: every ClientSocket's owner."""

    def __init__(self, logic: ChannelLogic) -> None:
        self.by_id: dict[int, ClientSocket] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self._logic = logic
        #: the channel logic decides (bound once: this is the path of every inbound event).
        self.handle = logic.handle

    def closed(self, sock: ClientSocket) -> None:
        self._logic.forget(sock)
        self.by_id.pop(sock.id, None)

    def track_task(self, task: asyncio.Task[Any]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class _BadRequestFilter(logging.Filter):
    """aiohttp logs a traceback at ERROR for every malformed HTTP request a peer sends (a bad
    Host line, a broken header): peer input, not a server fault. Such records go to the
    server's rate-limited log as one warning line (peer text escaped) with counts; any other
    aiohttp error still passes (issue #10 items 5 and 7)."""

    def __init__(self, logs: LogLimiter) -> None:
        super().__init__()
        self._logs = logs

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        self._logs.log(
            logging.WARNING,
            "malformed HTTP request",
            "refused a malformed HTTP request: %s",
            printable(str(exc)),
        )
        return False


class RealtimeServer:
    """A Supabase Realtime Broadcast/Presence server for local use and tests."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config = config or ServerConfig()
        #: misbehaviour switches for tests (inspector.server.faults).
        self.faults = Faults()
        #: the one recorder every piece writes to.
        self.journal = Journal(config.event_log_size, config.frame_log_size)
        #: websocket messages in and out (kept only when ``frame_log_size`` > 0).
        self.frames = self.journal.frames
        #: protocol events and server notes.
        self.events = self.journal.events
        #: what signs the keys below and issued tokens (HS256 secret or an ES256/RS256 pair).
        self.signing_key = signing_key = config.load_signing_key()
        #: the public keys served at /auth/v1/.well-known/jwks.json ({"keys": []} for HS256).
        self.jwks = signing_key.jwks()
        self.auth = Authenticator(
            config.jwt_secret,
            publishable_keys=config.publishable_keys,
            secret_keys=config.secret_keys,
            claim_validators=config.claim_validators,
            jwks=self.jwks if signing_key.asymmetric else None,
        )
        self.rules = config.load_rules()
        #: event rate and payload limit, shared by the websocket and REST paths (§10).
        self.limits = TenantLimits(
            config.max_payload_kb, config.max_events_per_second, config.events_window_s
        )
        #: repeated peer-caused log lines, rate-limited (docs/server.md "Resource limits").
        self.logs = LogLimiter(log, config.log_interval_s)
        #: unsent output of every socket against the server-wide cap.
        self.outbound = OutboundBudget(config.max_total_write_buffer_bytes)
        #: taken by a socket handling a large message: one at a time (client_socket.py).
        self.large_frames = asyncio.Lock()
        self.hub: Hub[Peer] = Hub(
            PresenceBudget(config.max_presence_bytes_per_socket, config.max_presence_bytes)
        )
        self.logic = ChannelLogic(
            config,
            hub=self.hub,
            auth=self.auth,
            rules=self.rules,
            limits=self.limits,
            journal=self.journal,
            faults=self.faults,
            logs=self.logs,
        )
        self.rest = RestApi(
            hub=self.hub,
            auth=self.auth,
            rules=self.rules,
            limits=self.limits,
            journal=self.journal,
            max_batch_messages=config.max_batch_messages,
        )
        #: keys for the anon and service_role roles: HS256 with the configured secret (with
        #: the default secret the Supabase CLI's demo keys, §9.2), or signed with the
        #: asymmetric key (same claims, ``kid`` in the header).
        self.anon_key = demo_key("anon", config.jwt_secret)
        self.service_role_key = demo_key("service_role", config.jwt_secret)
        #: the HS256 keys of the secret, still accepted (as legacy keys on a real project).
        self.legacy_keys = (self.anon_key, self.service_role_key)
        if signing_key.asymmetric:
            self.anon_key = signing_key.sign(_claims_of(self.anon_key))
            self.service_role_key = signing_key.sign(_claims_of(self.service_role_key))
        users = config.load_users()
        #: the users who can sign in (``serve --users``), or None.
        self.users: Users | None = users
        #: the Supabase Auth endpoints: sign-in, refresh, user, JWKS.
        self.auth_api = AuthApi(
            users or Users(),
            signing_key=signing_key,
            auth=self.auth,
            apikeys=self.api_keys,
            issuer=lambda: self.url + "/auth/v1",
            jwt_expiry_s=config.jwt_expiry_s,
            reuse_interval_s=config.refresh_token_reuse_interval_s,
            logs=self.logs,
        )
        self.port: int | None = None
        #: the address actually bound (``0.0.0.0`` for every IPv4 interface), once started.
        self.bound_address: str | None = None
        self._sockets = _Sockets(self.logic)
        self._on_stop: list[Callable[[], Awaitable[None]]] = []
        self._runner: web.AppRunner | None = None
        self._sock: socket.socket | None = None
        self._listener: asyncio.AbstractServer | None = None
        self._flush_timer: asyncio.TimerHandle | None = None
        self._bad_requests: _BadRequestFilter | None = None
        #: the listening socket's gate: connection cap and header timeout (set by start()).
        self.gate: ConnectionGate | None = None
        self._stopping = False
        #: the Host/Origin checks, made when the address is bound (exposure.py).
        self._guard: RequestGuard | None = None

    def __repr__(self) -> str:
        return f"RealtimeServer(url={self.url if self.port else None!r}, sockets={len(self._sockets.by_id)})"

    # ------------------------------------------------------------------------------ lifecycle

    @web.middleware
    async def _check_host_and_origin(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """403 for a Host or Origin that is not this machine's (DNS rebinding, web pages)."""
        guard = self._guard
        if guard is not None:
            host, origin = request.headers.get("Host"), request.headers.get("Origin")
            why = guard.refusal(host, origin)
            if why is not None:
                self.logs.log(
                    logging.WARNING,
                    "refused Host/Origin",
                    "refused %s %s (Host %s, Origin %s): %s",
                    request.method,
                    printable(request.path),
                    printable(host),
                    printable(origin),
                    why.split(":", 1)[0],
                )
                self.journal.note(None, HandshakeRefused(request.path, 403, why.split(":")[0]))
                return web.Response(
                    status=403, text=dumps({"message": why}), content_type="application/json"
                )
        return await handler(request)

    def _app(self, gate: ConnectionGate) -> web.Application:
        app = web.Application(
            client_max_size=self.config.max_frame_bytes + 1024,
            middlewares=[gate.middleware, self._check_host_and_origin],
        )
        rest = self.rest
        for path in _WS_PATHS:
            app.router.add_get(path, self._ws_handler)
        for prefix in _API_PREFIXES:
            app.router.add_post(f"{prefix}/broadcast", rest.batch)
            app.router.add_route("OPTIONS", f"{prefix}/broadcast", rest.options)
            single = prefix + "/broadcast/{topic:.+}/events/{event:[^/]+}"
            app.router.add_post(single, rest.single)
            app.router.add_route("OPTIONS", single, rest.options)
        auth = self.auth_api
        app.router.add_get("/auth/v1/.well-known/jwks.json", auth.jwks)
        app.router.add_route("OPTIONS", "/auth/v1/.well-known/jwks.json", auth.options)
        if self.users is not None:
            app.router.add_post("/auth/v1/token", auth.token)
            app.router.add_get("/auth/v1/user", auth.user)
            app.router.add_post("/auth/v1/logout", auth.logout)
            for path in ("/auth/v1/token", "/auth/v1/user", "/auth/v1/logout"):
                app.router.add_route("OPTIONS", path, auth.options)
        return app

    def api_keys(self) -> frozenset[str]:
        """The keys the gateway check of the Auth endpoints accepts as ``apikey``: the printed
        anon and service_role keys, the secret's HS256 keys and the configured ``sb_…`` keys."""
        config = self.config
        return frozenset(
            (
                self.anon_key,
                self.service_role_key,
                *self.legacy_keys,
                *config.publishable_keys,
                *config.secret_keys,
            )
        )

    async def start(self) -> None:
        """Bind and serve. ``port=0`` picks a free port (read ``self.port``)."""
        if self._runner is not None:
            raise RuntimeError("server already started")
        self._stopping = False
        config = self.config
        sock = _listen(config.host, config.port)
        bound, port = sock.getsockname()[:2]
        problem = exposure_problem(bound, port, config.jwt_secret, config.allow_remote)
        if problem is not None:
            sock.close()
            raise ExposureRefused(problem)
        self._guard = RequestGuard((bound, config.host), config.allowed_origins)

        def handler() -> asyncio.Protocol:
            server = runner.server
            assert server is not None
            return server()

        gate = ConnectionGate(
            handler,
            cap=config.max_connections or default_connection_cap(),
            header_timeout=config.header_timeout_s,
            logs=self.logs,
        )
        runner = web.AppRunner(
            self._app(gate),
            access_log=None,  # access logs would print apikey query values
            shutdown_timeout=config.shutdown_timeout_s,
        )
        loop = asyncio.get_running_loop()
        try:
            await runner.setup()
            # the gate is the protocol factory (aiohttp's SockSite would use runner.server);
            # the loop accepts a small burst per wakeup, the kernel queue stays deep
            self._listener = await loop.create_server(gate, sock=sock, backlog=accept_burst())
            sock.listen(512)
        except BaseException:
            await runner.cleanup()
            sock.close()
            raise
        self._runner, self._sock, self.gate = runner, sock, gate
        self._bad_requests = _BadRequestFilter(self.logs)
        logging.getLogger("aiohttp.server").addFilter(self._bad_requests)
        self.port, self.bound_address = port, bound
        self._flush_timer = loop.call_later(config.log_interval_s, self._flush_logs)
        warning = exposure_warning(bound, port, config.jwt_secret)
        if warning is not None:
            log.warning("%s", warning)
        log.info("Realtime server listening on %s (clients use %s)", display(bound, port), self.url)

    def _flush_logs(self) -> None:
        self.logs.flush()
        self._flush_timer = asyncio.get_running_loop().call_later(
            self.config.log_interval_s, self._flush_logs
        )

    def on_stop(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Await ``callback()`` first when the server stops, newest first (e.g. demo traffic)."""
        self._on_stop.append(callback)

    async def stop(self) -> None:
        """Await the ``on_stop`` callbacks, close every socket (1001), cancel every task,
        release the port."""
        if self._runner is None:
            return
        self._stopping = True
        while self._on_stop:
            await self._on_stop.pop()()
        await self.close_all(1001, "server shutting down")
        tasks = self._sockets.tasks
        for task in list(tasks):
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._bad_requests is not None:
            logging.getLogger("aiohttp.server").removeFilter(self._bad_requests)
            self._bad_requests = None
        if self._listener is not None:
            self._listener.close()
        runner, self._runner = self._runner, None
        await runner.cleanup()
        if self._listener is not None:
            await self._listener.wait_closed()
            self._listener = None
        self.logs.flush(force=True)
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def __aenter__(self) -> RealtimeServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------------------ addresses

    @property
    def _host(self) -> str:
        host = self.config.host
        if host in ("0.0.0.0", ""):
            return "127.0.0.1"
        if host == "::":
            return "[::1]"
        return f"[{host}]" if ":" in host else host

    @property
    def url(self) -> str:
        """The project URL to give clients: ``http://127.0.0.1:PORT``."""
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{self._host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The websocket endpoint (clients add ``?apikey=…&vsn=…``)."""
        return self.url.replace("http://", "ws://", 1) + "/realtime/v1/websocket"

    @property
    def realtime_url(self) -> str:
        """The base URL realtime-js and realtime-py take: ``http://127.0.0.1:PORT/realtime/v1``."""
        return self.url + "/realtime/v1"

    @property
    def rest_url(self) -> str:
        """The REST batch endpoint."""
        return self.url + "/realtime/v1/api/broadcast"

    # ------------------------------------------------------------------------------ websocket

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        vsn_param = request.query.get("vsn")
        vsn = negotiate_vsn(vsn_param)
        if vsn is None:  # unsupported vsn: 403 with an empty body (§1.2)
            self.journal.note(None, HandshakeRefused(path, 403, ""))
            return web.Response(status=403)
        token: str | None = request.headers.get("x-api-key")
        if token is None:
            token = request.query.get("apikey")
        identity = self.auth.authenticate(token, time.time())
        if isinstance(identity, JwtError):
            text = handshake_text(identity)
            self.logs.log(
                logging.INFO,
                "handshake refused",
                "websocket refused on %s: 401 %s",
                path,
                printable(text),
            )
            self.journal.note(None, HandshakeRefused(path, 401, text))
            if self.config.connect_error_delay_ms > 0:  # held back like the real server (§1.4)
                await asyncio.sleep(self.config.connect_error_delay_ms / 1000)
            return web.Response(
                status=401, text=dumps({"error": text}), content_type="application/json"
            )
        if self._stopping:
            return web.Response(status=503)
        ws = web.WebSocketResponse(
            # aiohttp refuses a message of max_msg_size bytes already; §1.5 only larger ones
            max_msg_size=self.config.max_frame_bytes + 1,
            compress=False,  # frames are written pre-built (wsframe); no extensions
            autoping=True,
            timeout=self.config.shutdown_timeout_s,
            decode_text=False,  # the serializer parses UTF-8 itself (§1.5: no UTF-8 check)
        )
        await ws.prepare(request)
        transport = request.transport
        if transport is None:
            return ws
        config = self.config
        sock = ClientSocket(
            ws,
            transport,
            vsn,
            identity,
            owner=self._sockets,
            journal=self.journal,
            faults=self.faults,
            idle_timeout=config.idle_timeout_s,
            max_write_buffer=config.max_write_buffer_bytes,
            budget=self.outbound,
            logs=self.logs,
            large_frames=self.large_frames,
        )
        self._sockets.by_id[sock.id] = sock
        log.info(
            "socket %d opened on %s (vsn %s, role %s)",
            sock.id,
            path,
            vsn,
            printable(identity.role),
        )
        self.journal.note(
            sock.id,
            SocketOpened(
                sock.id,
                path,
                vsn,
                tuple(request.query.keys()),
                vsn_param,
                fingerprint(token),
                "x-api-key" in request.headers,
                identity.role,
            ),
        )
        await sock.run()
        return ws

    # ------------------------------------------------------------------------------ sockets

    @property
    def sockets(self) -> list[ClientSocket]:
        """The open client sockets, oldest first."""
        return list(self._sockets.by_id.values())

    def socket(self, socket_id: int) -> ClientSocket:
        """The open client socket ``socket_id`` (KeyError when there is none)."""
        return self._sockets.by_id[socket_id]

    def topics(self, socket_id: int) -> list[str]:
        """The wire topics socket ``socket_id`` has joined, in join order."""
        return self.hub.topics(socket_id)

    def _targets(self, socket_id: int | None) -> Iterable[ClientSocket]:
        if socket_id is None:
            return self.sockets
        s = self._sockets.by_id.get(socket_id)
        return [s] if s is not None else []

    # ------------------------------------------------------------------------------ publishing

    def publish(
        self,
        name: str,
        event: str,
        payload: Any,
        *,
        private: bool = False,
        message_id: str | None = None,
    ) -> int:
        """Broadcast as the REST batch endpoint does (text; ``meta.id`` with an id); deliveries."""
        body: dict[str, Any] = {"type": BROADCAST, "event": event, "payload": payload}
        if message_id is not None:
            body["meta"] = {"id": message_id}
        return self.hub.publish((private, name), Fanout.text(BROADCAST, body, ws_frame))

    def publish_user(
        self,
        name: str,
        event: str,
        data: bytes | Any,
        *,
        private: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> int:
        """Broadcast as REST single / the database does: kind 4 to v2, JSON only to v1 (§2.5).

        ``bytes`` go as raw binary (encoding 0); anything else as JSON (encoding 1).
        """
        if isinstance(data, bytes | bytearray):
            raw, encoding = bytes(data), ENCODING_BINARY
        else:
            raw, encoding = dumps(data).encode(), ENCODING_JSON
        meta = dumps(metadata).encode() if metadata else b""
        fanout = Fanout.user_broadcast(event, raw, encoding, meta, wrap=ws_frame)
        return self.hub.publish((private, name), fanout)

    def track_presence(
        self,
        name: str,
        owner: object,
        presence_key: str,
        meta: dict[str, Any],
        *,
        private: bool = False,
    ) -> bool:
        """Track ``owner`` (any object that is not a socket) in the channel's presence, as a
        client's ``track`` does; the diff goes to the subscribers (§8.3). False: no change."""
        return self.hub.track((private, name), owner, presence_key, meta)

    def untrack_presence(self, name: str, owner: object, *, private: bool = False) -> bool:
        """Untrack an owner tracked with :meth:`track_presence`; False when it was not."""
        return self.hub.untrack((private, name), owner)

    # ------------------------------------------------------------------------------ faults

    def inject(
        self,
        topic: str,
        frame_or_payload: Frame | dict[str, Any] | str | bytes,
        *,
        event: str = BROADCAST,
        join_ref: str | None = CURRENT,
        socket_id: int | None = None,
    ) -> int:
        """Send a server message to every socket that joined ``topic``; the sockets written.

        - a payload (dict): ``Message(join_ref, null, topic, event, payload)`` in each socket's
          vsn. ``join_ref=CURRENT`` uses the channel's join_ref, None sends null, a string
          sends that (e.g. a stale one, §13 scenario 15). v1 never carries join_ref (§2.1).
        - a :class:`~inspector.protocol.frames.Frame`: encoded per socket (binary skipped for v1).
        - ``str`` / ``bytes``: sent as a text / binary frame exactly as given.
        """
        count = 0
        for s in self._targets(socket_id):
            channel = s.conn.channels.get(topic)
            if channel is None:
                continue
            if isinstance(frame_or_payload, str | bytes):
                data: str | bytes = frame_or_payload
            elif isinstance(frame_or_payload, dict):
                jr = channel.join_ref if join_ref == CURRENT else join_ref
                msg = Message(None if s.vsn == VSN1 else jr, None, topic, event, frame_or_payload)
                data = encode(msg, s.vsn)
            else:
                try:
                    data = encode(frame_or_payload, s.vsn)
                except EncodeError:
                    continue
            s.write(ws_frame(data))
            count += 1
        return count

    def error_channel(self, topic: str, socket_id: int | None = None) -> int:
        """Send ``phx_error`` to every instance of ``topic`` (a crashed channel, §4.6).

        Clients rejoin with a new join_ref, which makes the old one stale (§13 scenario 15).
        Returns the channels errored.
        """
        count = 0
        for s in self._targets(socket_id):
            if self.logic.error_channel(s, topic):
                s.flush()
                count += 1
        return count

    def send_raw(self, data: str | bytes, socket_id: int | None = None) -> int:
        """Write a text (``str``) or binary (``bytes``) frame as is; the sockets written."""
        targets = list(self._targets(socket_id))
        for s in targets:
            s.write(ws_frame(data))
        return len(targets)

    async def close_all(self, code: int = 1000, reason: str = "") -> None:
        """Close every socket with ``code`` (§13 scenario 14) and wait for them to finish."""
        sockets = self.sockets
        if not sockets:
            return
        await asyncio.gather(*(s.close(code, reason) for s in sockets), return_exceptions=True)
