"""Peer input of the wrong type that makes the real server's channel code raise, and the texts.

The real server does not check every type a client sends; where its Elixir code then raises,
the client sees the result of the crash, and this server reproduces that instead of being more
lenient (or more strict) than Supabase:

- a ``phx_join`` payload that is not an object: ``Ecto.Changeset.cast/4`` raises before any
  check, the join's ``rescue`` replies ``UnknownErrorOnChannel: expected params to be a :map,
  got: `nil``` (``supabase/realtime:lib/realtime_web/channels/realtime_channel.ex`` ``join/3``,
  ``payloads/join.ex``; the reason is ``"<code>: <message>"``, §4.4);
- a ``config`` that is present but not an object (§4.2 drops it as an invalid field, but
  ``pg_change_params`` then calls ``get_in(params, ["config", "postgres_changes"])``, which
  raises), and ``postgres_changes`` entries that are neither objects nor null
  (``add_id_to_postgres_changes`` calls ``Map.put`` on them): the same rescue, after every other
  join check has passed;
- a ``presence`` push whose ``event`` is not a string: ``String.downcase/2`` raises in the
  channel process, the channel crashes and the client gets ``phx_error`` (§4.6).

A broadcast whose payload is not an object crashes the sender's channel too, but only when a
vsn 2.0.0 subscriber receives it; :meth:`inspector.server.hub.Hub.publish_non_object` does that.

The exception texts are those of Ecto and Elixir's standard library (DERIVED: read, not run);
:func:`inspect` renders values the way Elixir's ``inspect/1`` does for what JSON can carry.
"""

from __future__ import annotations

import json
from typing import Any, Final

UNKNOWN_ERROR: Final = "UnknownErrorOnChannel"


def inspect(value: Any) -> str:
    """Elixir's ``inspect/1`` of a decoded JSON value (nil, true, 1.0e20, "s", [..], %{..})."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text:
            mantissa, _, exponent = text.partition("e")
            if "." not in mantissa:
                mantissa += ".0"
            return f"{mantissa}e{int(exponent)}"
        return text
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        if value and all(isinstance(c, int) and 32 <= c <= 126 for c in value):
            return '~c"' + "".join(chr(c) for c in value).replace('"', '\\"') + '"'
        return "[" + ", ".join(inspect(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]).encode())
        return "%{" + ", ".join(f"{inspect(k)} => {inspect(v)}" for k, v in items) + "}"
    return repr(value)


def _unknown(message: str) -> str:
    return f"{UNKNOWN_ERROR}: {message}"


def join_payload_error(payload: Any) -> str | None:
    """The join refusal of a payload that is not an object (raised before any check), or None."""
    if isinstance(payload, dict):
        return None
    return _unknown(f"expected params to be a :map, got: `{inspect(payload)}`")


def join_config_error(payload: dict[str, Any]) -> str | None:
    """The join refusal raised after the checks by a bad ``config``, or None (see module doc)."""
    config = payload.get("config")
    if config is None:
        return None
    if isinstance(config, list):  # Access.get/3 on a list with a string key
        return _unknown(
            'the Access module supports only keyword lists (with atom keys), got: "postgres_changes"'
            "\n\nIf you want to search lists of tuples, use List.keyfind/3"
        )
    if not isinstance(config, dict):  # no Access.get/3 clause for other terms
        return _unknown("no function clause matching in Access.get/3")
    changes = config.get("postgres_changes")
    if isinstance(changes, list):
        for item in changes:
            if item is not None and not isinstance(item, dict):
                return _unknown(f"expected a map, got: {inspect(item)}")
    return None


def presence_event_crashes(payload: Any) -> bool:
    """Whether a ``presence`` push crashes the channel: an ``event`` key that is not a string."""
    return (
        isinstance(payload, dict) and "event" in payload and not isinstance(payload["event"], str)
    )
