"""Settings of the local Realtime-compatible server (docs/server.md lists every one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspector.protocol.jwt import CLI_DEV_SECRET

from .rules import Rules
from .signing import SigningKey
from .users import Users

#: The Supabase CLI's API port, so programs written for ``supabase start`` work unchanged.
DEFAULT_PORT = 54321


@dataclass
class ServerConfig:
    """What ``RealtimeServer`` needs; ``realtime-inspector serve`` fills it from flags."""

    host: str = "127.0.0.1"
    #: serve on a non-loopback address although the JWT secret is the public default one
    #: (refused otherwise: anyone on the network could mint service_role tokens).
    allow_remote: bool = False
    #: browser Origins allowed besides loopback ones and the bound address; "*" allows any
    #: (the real server's policy). See docs/server.md, "Who can connect".
    allowed_origins: tuple[str, ...] = ()
    #: 0 picks a free port; read ``server.port`` after ``start()``.
    port: int = DEFAULT_PORT
    #: HS256 secret for every token; the default is the CLI's public dev secret (§9.2).
    jwt_secret: str = CLI_DEV_SECRET
    #: private-channel rules: a TOML/JSON file path, a :class:`Rules`, or None (no grants).
    rules: str | Path | Rules | None = None
    #: what signs the printed keys and issued tokens: None (HS256 with ``jwt_secret``),
    #: "ES256"/"RS256" (a key pair generated at start) or a :class:`SigningKey` (e.g. read
    #: from a file). Asymmetric keys are served at ``/auth/v1/.well-known/jwks.json`` and
    #: tokens are verified against that JWKS; HS256 tokens with the secret keep working.
    signing_key: str | SigningKey | None = None
    #: users who can sign in (``/auth/v1/token``): a YAML/JSON file path, a :class:`Users`,
    #: or None (no Auth endpoints but the JWKS).
    users: str | Path | Users | None = None
    #: lifetime of issued access tokens (GoTrue's ``JWT_EXP``, the CLI's ``jwt_expiry``).
    jwt_expiry_s: int = 3600
    #: a refresh token already used may be used again this long (GoTrue's
    #: ``REFRESH_TOKEN_REUSE_INTERVAL``, default 10 s); later the session's tokens are revoked.
    refresh_token_reuse_interval_s: float = 10.0
    #: opaque ``sb_publishable_…`` strings accepted as the anon role (§9.2).
    publishable_keys: tuple[str, ...] = ()
    #: opaque ``sb_secret_…`` strings accepted as the service_role role (§9.2).
    secret_keys: tuple[str, ...] = ()
    #: exact-match claim checks, like the server's ``JWT_CLAIM_VALIDATORS`` (§9.1).
    claim_validators: dict[str, Any] = field(default_factory=dict)
    #: hold handshake errors back this long (§1.4: 2000 ms on the real server; 0 locally).
    connect_error_delay_ms: int = 0
    #: hold join error replies back this long (§4.3: 5000 ms on the real server; 0 locally).
    channel_error_delay_ms: int = 0
    #: channels per socket; the next join is refused (§10).
    max_channels_per_socket: int = 100
    #: broadcast payload limit in KB (§10); the limit is kb × 1000 + 500 bytes.
    max_payload_kb: int = 3000
    #: events per second across the server, or None for no limit (local default, §10).
    max_events_per_second: int | None = None
    #: seconds over which the events-per-second average is taken.
    events_window_s: float = 1.0
    #: presence calls allowed per channel within the window (§8.5, §10).
    presence_max_calls: int = 5
    presence_window_ms: int = 30_000
    #: messages per REST batch; more get 429 "Too many messages to broadcast…" (this server's
    #: own cap: the real one refuses a batch over the tenant's events per second, §6.2).
    max_batch_messages: int = 10_000
    #: largest websocket message accepted; bigger closes the socket with 1009 (§1.5).
    max_frame_bytes: int = 5_000_000
    #: close sockets that send nothing for this long (§1.5); None disables it.
    idle_timeout_s: float | None = 60.0
    #: the token watchdog looks at least this often (§7.4: 5 minutes).
    token_check_interval_s: float = 300.0
    #: a socket whose unsent output grows past this is dropped as a slow consumer (no close
    #: frame: the client sees 1006, as when the real server kills a websocket process over its
    #: 50 MB heap limit). Above three full-size payloads (§10).
    max_write_buffer_bytes: int = 16_000_000
    #: unsent output of all sockets together; over it the socket with the most unsent output
    #: is dropped (and the next, until under). None: no server-wide cap.
    max_total_write_buffer_bytes: int | None = 128_000_000
    #: bytes of presence metas (as measured for the §10 payload limit) one socket may hold
    #: across its channels; a track over it closes that channel with a system error.
    max_presence_bytes_per_socket: int | None = 10_000_000
    #: bytes of presence metas all sockets together may hold.
    max_presence_bytes: int | None = 50_000_000
    #: open TCP connections; None derives it from RLIMIT_NOFILE (the soft limit minus a
    #: tenth, at least 64 kept free). At the cap the oldest connection still waiting for its
    #: request is closed to make room; when none is, the new one gets 503.
    max_connections: int | None = None
    #: a connection must send a complete request (headers) within this many seconds of being
    #: accepted, and again after each response; None disables it.
    header_timeout_s: float | None = 10.0
    #: repeated log lines of one kind (malformed frames, dropped or refused peers) are written
    #: once per this many seconds; the next line gives the count of those not written.
    log_interval_s: float = 10.0
    #: keep the last N frames in ``server.frames`` (tests); 0 keeps none.
    frame_log_size: int = 0
    #: keep the last N protocol events in ``server.events``.
    event_log_size: int = 10_000
    #: seconds ``stop()`` waits for clients to answer the close handshake.
    shutdown_timeout_s: float = 2.0

    def load_signing_key(self) -> SigningKey:
        """The signing key object, generating a key pair when an algorithm was named."""
        if isinstance(self.signing_key, SigningKey):
            return self.signing_key
        if self.signing_key is None or self.signing_key == "HS256":
            return SigningKey.legacy(self.jwt_secret)
        return SigningKey.generate(self.signing_key)

    def load_users(self) -> Users | None:
        """The users object, reading the file when a path was given."""
        if self.users is None or isinstance(self.users, Users):
            return self.users
        return Users.from_file(self.users)

    def load_rules(self) -> Rules:
        """The rules object, reading the file when a path was given."""
        if isinstance(self.rules, Rules):
            return self.rules
        if self.rules is None:
            return Rules()
        return Rules.from_file(self.rules)
