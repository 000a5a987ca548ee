"""What a check file says, after loading: frozen dataclasses, one per step kind.

Strings keep their ``{{variables}}``; the runner expands them (:mod:`inspector.protocol.template`)
when the step runs, so captures made by earlier steps are known. Payloads are kept as the JSON
value the YAML gave; ``line`` is the 1-based line of the step in its file (for messages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

#: Where an expect's window starts.
From: TypeAlias = Literal["previous_step", "start_of_check"]

DEFAULT_IDENTITY = "default"
MAX_DURATION_S = 24 * 3600.0  # the longest duration a check file may give (24 h)


def format_duration(seconds: float) -> str:
    """A duration for people: ``0.5 s``, ``2 s``, ``5 min 30 s``, ``26 h 40 min`` (never ``6e+06 s``)."""
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        tail = f" {rest:g} s" if rest else ""
        return f"{int(minutes)} min{tail}"
    hours, rest = divmod(seconds, 3600)
    minutes = rest / 60
    tail = f" {minutes:.4g} min" if rest >= 0.5 else ""
    return f"{int(hours)} h{tail}"


@dataclass(frozen=True, slots=True)
class Identity:
    """One websocket: the key (None: the connect key) and an optional user token."""

    name: str
    key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Connect:
    """Where to connect; None means the environment's default (docs/checks.md)."""

    url: str | None = None
    key: str | None = field(default=None, repr=False)
    vsn: str = "2.0.0"


@dataclass(frozen=True, slots=True)
class StepBase:
    #: 0-based position in the check.
    index: int
    #: 1-based line of the step in its file (0 when not from a file).
    line: int
    #: The user's label, or "".
    label: str
    #: The identity that acts.
    identity: str

    kind = "step"

    def summary(self) -> str:
        return self.kind

    @property
    def title(self) -> str:
        """The label, else a summary like ``send order.created on orders``."""
        return self.label or self.summary()


@dataclass(frozen=True, slots=True)
class Join(StepBase):
    channel: str
    self_: bool = False
    ack: bool = False
    private: bool = False
    presence: bool = False
    presence_key: str = ""
    expect: Literal["joined", "refused"] = "joined"
    reason: str | None = None
    timeout: float = 10.0

    kind = "join"

    def summary(self) -> str:
        return f"join {self.channel}" + _as(self.identity)


@dataclass(frozen=True, slots=True)
class Leave(StepBase):
    channel: str

    kind = "leave"

    def summary(self) -> str:
        return f"leave {self.channel}" + _as(self.identity)


@dataclass(frozen=True, slots=True)
class Send(StepBase):
    channel: str
    event: str
    payload: Any = None
    via: Literal["websocket", "rest"] = "websocket"
    ack: bool | None = None
    private: bool | None = None
    expect: Literal["ok", "error"] = "ok"
    reason: str | None = None

    kind = "send"

    def summary(self) -> str:
        via = " over REST" if self.via == "rest" else ""
        return f"send {self.event} on {self.channel}{via}" + _as(self.identity)


@dataclass(frozen=True, slots=True)
class Expect(StepBase):
    channel: str
    event: str = "*"
    payload: Any = None
    has_payload: bool = False
    where: tuple[str, ...] = ()
    within: float = 5.0
    count: int = 1
    from_: From = "previous_step"
    capture: Mapping[str, str] = field(default_factory=dict)

    kind = "expect"

    def summary(self) -> str:
        return f"expect {self.event} on {self.channel}" + _as(self.identity)


@dataclass(frozen=True, slots=True)
class ExpectNone(StepBase):
    channel: str
    within: float
    event: str = "*"
    payload: Any = None
    has_payload: bool = False
    where: tuple[str, ...] = ()
    from_: From = "previous_step"

    kind = "expect_none"

    def summary(self) -> str:
        return f"expect no {self.event} on {self.channel}" + _as(self.identity)


@dataclass(frozen=True, slots=True)
class Track(StepBase):
    channel: str
    payload: Any = None

    kind = "track"

    def summary(self) -> str:
        return f"track on {self.channel}" + _as(self.identity)


@dataclass(frozen=True, slots=True)
class Untrack(StepBase):
    channel: str

    kind = "untrack"

    def summary(self) -> str:
        return f"untrack on {self.channel}" + _as(self.identity)


@dataclass(frozen=True, slots=True)
class ExpectPresence(StepBase):
    channel: str
    event: Literal["join", "leave"] = "join"
    key: str = "*"
    payload: Any = None
    has_payload: bool = False
    where: tuple[str, ...] = ()
    within: float = 5.0
    count: int = 1
    from_: From = "previous_step"
    capture: Mapping[str, str] = field(default_factory=dict)

    kind = "expect_presence"

    def summary(self) -> str:
        key = "" if self.key == "*" else f" {self.key}"
        return f"expect presence {self.event}{key} on {self.channel}" + _as(self.identity)


@dataclass(frozen=True, slots=True)
class Wait(StepBase):
    seconds: float

    kind = "wait"

    def summary(self) -> str:
        return f"wait {format_duration(self.seconds)}"


Step: TypeAlias = (
    Join | Leave | Send | Expect | ExpectNone | Track | Untrack | ExpectPresence | Wait
)


@dataclass(frozen=True, slots=True)
class Check:
    """One check: its steps and everything they need."""

    name: str
    steps: tuple[Step, ...]
    connect: Connect = field(default_factory=Connect)
    identities: Mapping[str, Identity] = field(default_factory=dict)
    vars: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 30.0
    #: The file it came from (None when built in code) and the line of its name.
    file: Path | None = None
    line: int = 0
    #: The suite: the file's ``name`` with ``checks``, else the file name without extension.
    suite: str = ""

    def channels(self) -> tuple[str, ...]:
        """The channels its ``join`` steps name, in order, once each (variables unexpanded)."""
        return tuple(dict.fromkeys(s.channel for s in self.steps if isinstance(s, Join)))


@dataclass(frozen=True, slots=True)
class CheckFile:
    """A loaded file: one or more checks."""

    path: Path
    suite: str
    checks: tuple[Check, ...]


def _as(identity: str) -> str:
    return "" if identity == DEFAULT_IDENTITY else f" as {identity}"
