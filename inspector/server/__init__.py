"""Local Supabase Realtime-compatible server: websocket and REST on one port (docs/server.md).

asyncio and aiohttp, no Qt. The public in-process API::

    from inspector.server import RealtimeServer, ServerConfig
    server = RealtimeServer(ServerConfig(port=0))
    await server.start()
    ...
    await server.stop()
"""

from .config import DEFAULT_PORT, ServerConfig
from .faults import Faults
from .realtime_server import CURRENT, RealtimeServer
from .rules import Permissions, Rules, RulesError
from .signing import SigningKey, SigningKeyError
from .users import Users, UsersError

__all__ = [
    "CURRENT",
    "DEFAULT_PORT",
    "Faults",
    "Permissions",
    "RealtimeServer",
    "Rules",
    "RulesError",
    "ServerConfig",
    "SigningKey",
    "SigningKeyError",
    "Users",
    "UsersError",
]
