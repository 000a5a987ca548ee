"""Pure application state shared by the GUI and the CLI (docs/architecture.md, layer ``store``).

No asyncio, no Qt, no clock: times are passed in. One folder per feature, shared pieces on top:

- ``messages/``: :class:`MessageRecord` (one table row, payload kept as bytes) and send status,
  :class:`MessageLog` (the bounded log of a tab), :class:`MessageFilter`, the message rate,
  payload text views and "Copy as CLI command / curl".
- ``channels/``: a tab's channel options, join and connection states with their wording, and its
  send history.
- ``frames/``: the Frames view's rows, log and filters, and the annotated hex of binary frames.
- ``presence/``: a tab's presence roster, timeline and own tracking.
- ``profiles/``: connection profiles without secrets, URL/key validation, decoded claims, and
  preferences.
- ``transfer/``: NDJSON/CSV export and NDJSON import (secrets redacted with
  :mod:`inspector.protocol.redact`).
- ``ring.py`` (the ring buffer behind both logs), ``timefmt.py`` (times that never raise).

The names most callers need are re-exported here.
"""

from inspector.protocol.event_filter import parse_event_list
from inspector.store.channels.channels import (
    ChannelOptions,
    ChannelStatus,
    ConnectionStatus,
    LinkState,
    TabState,
    join_conflict,
)
from inspector.store.channels.history import SendHistory, SendTemplate
from inspector.store.messages.filters import MessageFilter
from inspector.store.messages.log import DEFAULT_CAPACITY, LogListener, MessageLog
from inspector.store.messages.rate import RateMeter
from inspector.store.messages.records import (
    Direction,
    MessageRecord,
    PayloadFormat,
    SendInfo,
    SendState,
    Transport,
    json_bytes,
    system_record,
)
from inspector.store.profiles.preferences import Preferences
from inspector.store.profiles.profiles import (
    Profile,
    ProfileBook,
    TokenInfo,
    describe_token,
    validate_key,
    validate_url,
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
