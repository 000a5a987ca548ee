"""Pure application state shared by the GUI and the CLI (docs/architecture.md, layer ``store``).

No asyncio, no Qt, no clock: times are passed in. The pieces:

- :mod:`.records`: :class:`MessageRecord` (one table row, payload kept as bytes), send status.
- :mod:`.log`: :class:`MessageLog`, the bounded ring buffer with insert/evict notifications,
  evicted count, and Pause/Resume.
- :mod:`.filters`: :class:`MessageFilter` (text and event-name filters).
- :mod:`.channels`: channel options, join state and connection state with their wording.
- :mod:`.profiles`: connection profiles without secrets, URL/key validation, decoded claims.
- :mod:`.history`: per-tab send history; :mod:`.rate`: messages per second;
  :mod:`.preferences`; :mod:`.ndjson` export/import (secrets redacted with
  :mod:`inspector.protocol.redact`).
"""

from inspector.protocol.event_filter import parse_event_list

from .channels import (
    ChannelOptions,
    ChannelStatus,
    ConnectionStatus,
    LinkState,
    TabState,
    join_conflict,
)
from .filters import MessageFilter
from .history import SendHistory, SendTemplate
from .log import DEFAULT_CAPACITY, LogListener, MessageLog
from .preferences import Preferences
from .profiles import Profile, ProfileBook, TokenInfo, describe_token, validate_key, validate_url
from .rate import RateMeter
from .records import (
    Direction,
    MessageRecord,
    PayloadFormat,
    SendInfo,
    SendState,
    Transport,
    json_bytes,
    system_record,
)

__all__ = [
    "DEFAULT_CAPACITY",
    "ChannelOptions",
    "ChannelStatus",
    "ConnectionStatus",
    "Direction",
    "LinkState",
    "LogListener",
    "MessageFilter",
    "MessageLog",
    "MessageRecord",
    "PayloadFormat",
    "Preferences",
    "Profile",
    "ProfileBook",
    "RateMeter",
    "SendHistory",
    "SendInfo",
    "SendState",
    "SendTemplate",
    "TabState",
    "TokenInfo",
    "Transport",
    "describe_token",
    "join_conflict",
    "json_bytes",
    "parse_event_list",
    "system_record",
    "validate_key",
    "validate_url",
]
