"""A check file drafted from rows of a tab (issue #12 §4, "New check from selection"); pure.

The rows a user selected (sends and receives of one channel) become one check in the YAML
format of ``docs/checks.md``:

- a ``join`` of the channel with the tab's options (``self``, ``ack``, ``private``), so the
  receives can be expected;
- a sent row becomes a ``send`` step (event, JSON payload, ``via: rest`` for a REST send, and
  ``expect: error`` when the server refused it);
- a received row becomes an ``expect`` step: its event (wildcards escaped) and its payload as
  a subset match, ``within`` the delay observed since the previous selected row plus a margin
  (:func:`within_for`): ``max(2 × delay, delay + 1 s)``, rounded up to a tenth of a second, so
  a draft passes again on a slower run without waiting long when it fails.

System rows are left out; binary payloads are left out with a comment (a check's payload is
JSON). Text that the template expander would read as a variable (``{{``) is escaped as
``{{{{``. Secrets in payloads (what :mod:`inspector.protocol.redact` finds) never reach the
file: in a send they read ``[redacted]``, in an expect the redacted values are left out of the
subset match; the header comment says so. Times are passed in; nothing here reads a clock.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import yaml

from inspector.protocol.invisible import has_hidden, reveal
from inspector.protocol.redact import REDACTED, redact_value
from inspector.store.channels.channels import ChannelOptions
from inspector.store.messages.records import (
    Direction,
    MessageRecord,
    PayloadFormat,
    SendState,
    Transport,
)

#: The least margin added to an observed delay (seconds).
MIN_MARGIN_S: Final = 1.0
#: An expect whose delay could not be observed (the first selected row is a receive) waits
#: this long, the format's default.
DEFAULT_WITHIN_S: Final = 5.0
#: The file dialog's filter for check files.
CHECK_FILTER: Final = "Check files (*.yaml *.yml);;All files (*)"

_GLOB: Final = re.compile(r"([*?\\])")


def within_for(delay: float | None) -> float:
    """How long an expect waits for a receive seen ``delay`` seconds after the previous step:
    ``max(2 × delay, delay + 1 s)`` rounded up to 0.1 s; :data:`DEFAULT_WITHIN_S` when unknown.
    """
    if delay is None or not math.isfinite(delay):
        return DEFAULT_WITHIN_S
    delay = max(0.0, delay)
    return math.ceil(max(2 * delay, delay + MIN_MARGIN_S) * 10 - 1e-9) / 10


def duration_text(seconds: float) -> str:
    """``1.2s``, ``3s``: a duration as the check format writes it."""
    return f"{seconds:.1f}".rstrip("0").rstrip(".") + "s"


def escape_template(text: str) -> str:
    """``{{`` written as ``{{{{`` so that the expander gives the text back unchanged."""
    return text.replace("{{", "{{{{")


def escape_glob(event: str) -> str:
    """An event name as a glob that matches only itself (``*``, ``?``, ``\\`` escaped)."""
    return _GLOB.sub(r"\\\1", event)


class _DraftDumper(yaml.SafeDumper):
    """Writes a string that holds a hidden or direction-changing character (what
    :mod:`inspector.protocol.invisible` reveals) as a double-quoted scalar, so that
    :func:`_escape_hidden` can write those characters as escapes: the file then shows
    ``"\\u202eevil"`` where the peer sent a right-to-left override, and reads back the same
    string (docs/gui.md, "Hidden characters")."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = '"' if has_hidden(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_DraftDumper.add_representer(str, _represent_str)


def _yaml_escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _escape_hidden(text: str) -> str:
    """The YAML text with each hidden character PyYAML left as it is (``allow_unicode`` keeps
    format characters such as U+202E) written as a YAML escape. Such characters occur only in
    the double-quoted scalars :class:`_DraftDumper` wrote, where an escape means the same
    character; line breaks and tabs are PyYAML's own."""
    return "".join(_yaml_escape(ch) if ch not in "\t\n\r" and has_hidden(ch) else ch for ch in text)


@dataclass(slots=True)
class Draft:
    """What :func:`draft_check` made: the YAML text and what it says about the rows."""

    text: str
    #: steps written (join included).
    steps: int = 0
    #: one line per selected row that did not become a step, for people.
    skipped: list[str] = field(default_factory=list)
    #: whether some payload values were redacted (sends) or left out (expects).
    redacted: bool = False


def _escaped(value: Any) -> Any:
    """``value`` with ``{{`` escaped in every string (keys included)."""
    if isinstance(value, str):
        return escape_template(value)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {escape_template(str(k)): _escaped(v) for k, v in value.items()}
    return value


def _subset(original: Any, redacted: Any) -> tuple[Any, bool]:
    """The expect's subset: ``original`` without the object members whose values the redactor
    changed (a list keeps its length, so a changed item stays redacted); and whether anything
    was left out or changed."""
    if isinstance(original, dict) and isinstance(redacted, dict):
        out: dict[str, Any] = {}
        changed = False
        for (key, value), (red_key, red_value) in zip(
            original.items(), redacted.items(), strict=True
        ):
            sub, sub_changed = _subset(value, red_value)
            changed |= sub_changed or red_key != key
            if red_key == key and (isinstance(value, dict | list) or not sub_changed):
                out[key] = sub
        return out, changed
    if isinstance(original, list) and isinstance(redacted, list):
        pairs = [_subset(v, r) for v, r in zip(original, redacted, strict=True)]
        return [sub for sub, _ in pairs], any(c for _, c in pairs)
    return redacted, redacted != original


def _json_payload(record: MessageRecord) -> tuple[Any, str | None]:
    """The payload as a JSON value, or why it cannot be one."""
    if record.format is PayloadFormat.BINARY:
        return None, f"binary payload ({record.size:,} bytes)"
    try:
        return json.loads(record.payload), None
    except ValueError:
        return None, "payload is not JSON"


def _when(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S.%f")[:-3]
    except (OverflowError, ValueError, OSError):
        return "?"


def _date(epoch: float) -> str:
    try:
        return f"{datetime.fromtimestamp(epoch, UTC):%Y-%m-%d %H:%M} UTC"
    except (OverflowError, ValueError, OSError):
        return "an unknown date"


def _check_name(channel: str, events: Sequence[str]) -> str:
    names = list(dict.fromkeys(events))
    shown = " → ".join(names[:3]) + (" …" if len(names) > 3 else "")
    return f"{channel}: {shown}" if shown else channel


def draft_check(
    records: Iterable[MessageRecord],
    options: ChannelOptions,
    *,
    now: float,
    name: str | None = None,
    source: str = "",
) -> Draft:
    """A check from ``records`` (any order; sorted by their ``seq``, else time) of the channel
    ``options``. ``now`` (epoch seconds) dates the header comment; ``source`` says where the
    rows came from (``tab “orders”``)."""
    rows = sorted(records, key=lambda r: (r.seq if r.seq >= 0 else math.inf, r.time))
    channel = options.name
    join: dict[str, Any] = {"channel": channel}
    if options.broadcast_self:
        join["self"] = True
    if options.ack:
        join["ack"] = True
    if options.private:
        join["private"] = True
    steps: list[dict[str, Any]] = [{"join": join}]
    skipped: list[str] = []
    events: list[str] = []
    redacted = False
    previous: float | None = None
    for record in rows:
        if record.direction is Direction.SYSTEM:
            continue
        what = f"{record.direction.label} {record.event} at {_when(record.time)} UTC"
        payload, problem = _json_payload(record)
        if problem is not None:
            skipped.append(f"{what}: {problem}")
            continue
        safe = redact_value(payload, max_depth=64)
        if record.direction is Direction.OUT:
            send: dict[str, Any] = {
                "channel": channel,
                "event": escape_template(record.event),
                "payload": _escaped(safe),
            }
            redacted |= safe != payload
            info = record.send
            if info is not None and info.transport is Transport.REST:
                send["via"] = "rest"
                if options.private:
                    send["private"] = True
            if info is not None and info.state is SendState.ERROR:
                send["expect"] = "error"
            steps.append({"send": send})
        else:
            subset, changed = _subset(payload, safe)
            redacted |= changed
            delay = None if previous is None else record.time - previous
            steps.append(
                {
                    "expect": {
                        "channel": channel,
                        "event": escape_template(escape_glob(record.event)),
                        "payload": _escaped(subset),
                        "within": duration_text(within_for(delay)),
                    }
                }
            )
        events.append(record.event)
        previous = record.time
    check = {"name": name or _check_name(channel, events), "steps": steps}
    body = yaml.dump(check, Dumper=_DraftDumper, sort_keys=False, allow_unicode=True, width=100)
    if has_hidden(body):
        body = _escape_hidden(body)
    header = [
        f"# Drafted by Realtime Inspector from {reveal(source or 'selected rows', multiline=False)}"
        f" on {_date(now)}.",
        "# connect: $SUPABASE_URL and $SUPABASE_ANON_KEY by default (docs/checks.md); the",
        "# window's Checks panel runs it on the current profile.",
        "# An expect's payload is a subset: remove the keys whose values change from run to run",
        "# (ids, times), or capture them (capture: {order_id: $.id}) and use {{order_id}}.",
    ]
    if redacted:
        header.append(
            f"# Values that looked like secrets read {REDACTED} in sends and are left out of"
        )
        header.append("# expects: put them back as {{env.NAME}}.")
    for line in skipped:
        header.append(f"# Not drafted: {reveal(line, multiline=False)}")
    text = "\n".join(header) + "\n" + body
    return Draft(text=text, steps=len(steps), skipped=skipped, redacted=redacted)
