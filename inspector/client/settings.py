"""Connection settings of the client: where to connect, with which key, and its timings.

Invalid settings are refused when the object is made, with a one-line reason, before anything
touches the network (docs/realtime-protocol.md §1.1, §1.2). Secrets never show in ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from inspector import __version__
from inspector.protocol.backoff import RECONNECT_SCHEDULE, REJOIN_SCHEDULE
from inspector.protocol.client_config import SessionConfig
from inspector.protocol.client_url import Endpoints, endpoints, normalize_vsn
from inspector.protocol.serializer import VSN2

from .errors import InvalidSettings

#: Environment variables that hold the API key, in the order they are read: the current name
#: (Supabase calls the client key "publishable"), then the legacy names. An empty value counts
#: as unset. The CLI's ``--key`` and the checks' ``connect.key`` come before all of them.
KEY_ENV_NAMES: tuple[str, ...] = ("SUPABASE_PUBLISHABLE_KEY", "SUPABASE_ANON_KEY", "SUPABASE_KEY")


def key_from_env(environ: Mapping[str, str]) -> str | None:
    """The API key from the first of :data:`KEY_ENV_NAMES` that is set and not empty."""
    for name in KEY_ENV_NAMES:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


#: The ``version`` the client puts in its joins (realtime-js sends ``realtime-js/<ver>``).
CLIENT_VERSION = f"realtime-inspector/{__version__}"


@dataclass(frozen=True)
class ClientSettings:
    """Everything needed to connect; realtime-js's defaults (§7)."""

    #: Project URL (``https://<ref>.supabase.co``, ``http://127.0.0.1:54321``) or a direct
    #: ``ws(s)://…/realtime/v1`` or ``…/socket`` URL (§1.1).
    url: str
    #: The API key (anon / publishable JWT or key); sent as ``apikey`` (§1.2).
    api_key: str = field(repr=False)
    #: ``2.0.0`` (default, binary broadcasts) or ``1.0.0`` (JSON objects); ``1``/``2`` accepted.
    vsn: str = VSN2
    #: Optional user access token (JWT), sent in joins and refreshes, separate from the key.
    access_token: str | None = field(default=None, repr=False)
    #: ``log_level`` query parameter (info, warn, warning, error) or None.
    log_level: str | None = None
    #: Seconds between heartbeats; a missed reply within the same time reconnects (§7.1).
    heartbeat_interval: float = 25.0
    #: Seconds to wait for a join reply (§7.2).
    join_timeout: float = 10.0
    #: Seconds to wait for an ack or other reply (§5.4).
    push_timeout: float = 10.0
    #: Seconds to wait for the websocket to open.
    open_timeout: float = 10.0
    #: Seconds to wait for a REST answer (§6.3).
    rest_timeout: float = 10.0
    #: Reconnect delays in seconds, the last repeating (§7.2).
    reconnect_schedule: tuple[float, ...] = RECONNECT_SCHEDULE
    #: Channel rejoin delays in seconds, the last repeating (§7.2).
    rejoin_schedule: tuple[float, ...] = REJOIN_SCHEDULE
    #: Pushes kept per channel while it is not joined (§7.2).
    buffer_size: int = 100
    #: Events kept for a slow async-iterator consumer before broadcasts are dropped (counted).
    event_queue_size: int = 10_000
    #: Redact secrets in frame-tap records (apikey, access_token, Authorization, JWTs).
    redact_frames: bool = True

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "vsn", normalize_vsn(self.vsn))
            self.endpoints()
            self.session_config()
        except ValueError as exc:
            raise InvalidSettings(str(exc)) from exc
        if self.access_token is not None and not self.access_token.strip():
            raise InvalidSettings("the access token is empty")
        if self.open_timeout <= 0 or self.rest_timeout <= 0 or self.event_queue_size < 1:
            raise InvalidSettings("timeouts and the event queue size must be positive")

    def endpoints(self) -> Endpoints:
        """The websocket and REST URLs (raises ``ValueError`` when invalid)."""
        return endpoints(self.url, self.api_key, self.vsn, self.log_level)

    def session_config(self) -> SessionConfig:
        """The pure session's configuration."""
        return SessionConfig(
            vsn=self.vsn,
            heartbeat_interval=self.heartbeat_interval,
            join_timeout=self.join_timeout,
            push_timeout=self.push_timeout,
            buffer_size=self.buffer_size,
            reconnect_schedule=tuple(self.reconnect_schedule),
            rejoin_schedule=tuple(self.rejoin_schedule),
            access_token=self.access_token,
            client_version=CLIENT_VERSION,
        )
