"""Load workloads: what each virtual user (VU) connects to, joins and sends (issue #14 §1).

A :class:`Workload` is plain data. The presets reproduce the Broadcast workloads Supabase
publishes for Realtime (their k6 benchmarks, "guides/realtime/benchmarks"); every field can be
overridden (:func:`preset`). :func:`channel_plan` says which channels VU ``i`` joins; it
depends only on the workload and ``i``, so processes (``--workers``) and machines (Locust)
that run disjoint ranges of VU indexes agree on the channels without talking to each other.

Channel layout: ``layout`` is a tuple of :class:`ChannelGroup`; each VU joins one channel of
every group. Group ``g`` with ``users`` = U puts VUs ``k*U .. k*U+U-1`` in its channel ``k``, so
``broadcast`` (echo 1 + group 6) gives every VU its own echo channel and one group channel
shared by six consecutive VUs; the last channel of a group holds what is left when ``vus`` is
not a multiple of U (its :attr:`ChannelSlot.members` says how many).

The payload every send carries is described in :mod:`inspector.client.load.payload`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Via = Literal["ws", "rest", "rest-batch"]
VIAS: Final[tuple[str, ...]] = ("ws", "rest", "rest-batch")


@dataclass(frozen=True, slots=True)
class ChannelGroup:
    """One channel per VU of this kind: ``users`` VUs share each channel."""

    #: A short word that goes into the channel names (``echo``, ``group``, ``fanout``).
    label: str
    #: VUs per channel (1 = each VU alone: an echo channel when ``broadcast_self``).
    users: int

    def __post_init__(self) -> None:
        if not self.label or not self.label.replace("-", "").isalnum():
            raise ValueError(f"a channel group label must be letters and digits: {self.label!r}")
        if self.users < 1:
            raise ValueError("a channel needs at least 1 user")


@dataclass(frozen=True, slots=True)
class Workload:
    """Everything a load run does, per VU; times in seconds, rates per second."""

    #: The preset's name (or ``custom``); shown in reports.
    name: str
    #: Virtual users: one websocket each.
    vus: int
    #: One channel of each group per VU (see the module docstring).
    layout: tuple[ChannelGroup, ...]
    #: Messages per second each VU sends into each of its channels (0: none).
    send_rate: float
    #: Target size of each payload as JSON text, in bytes: padding is added to reach it (the
    #: header alone is about 60 bytes; 0 = the header only).
    payload_bytes: int = 0
    #: A saved message's payload template (JSON text with ``{{…}}`` variables, expanded by
    #: :mod:`inspector.protocol.template` per send), or None for the generated payload. Its
    #: result must be a JSON object; the load header is added as its first key.
    template: str | None = None
    #: The broadcast event name.
    event: str = "load"
    #: ``config.broadcast.ack``: wait for the server's reply to each send (ack latency).
    ack: bool = False
    #: ``config.broadcast.self``: a sender receives its own broadcasts (echo channels need it).
    broadcast_self: bool = True
    #: ``config.private``: private channels (the token needs read and write on them).
    private: bool = False
    #: Track presence on every channel once joined (``config.presence.enabled``).
    presence: bool = False
    #: Seconds over which the VUs connect, evenly spaced (0: all at once); ignored when
    #: ``connect_rate`` is set.
    ramp_up_s: float = 0.0
    #: New connections per second (the ``auth`` workload); None: spread over ``ramp_up_s``.
    connect_rate: float | None = None
    #: Seconds of sending, counted from when every VU of the run has joined (or failed).
    duration_s: float = 30.0
    #: Seconds to keep receiving after the last send before counting what was lost; the run
    #: ends sooner when everything expected has arrived (single process).
    drain_s: float = 3.0
    #: How the messages go out: the websocket, REST single (``rest``) or REST batch
    #: (``rest-batch``: one request per VU and tick carrying one message per channel).
    via: Via = "ws"
    #: Prefix of the channel names.
    channel_prefix: str = "load"
    #: Goes into the channel names so that two runs against one server never mix; every
    #: process of one run must use the same value (the CLI makes one per run).
    run_id: str = ""
    #: Seconds to wait for the websocket and for each join before counting it as failed.
    connect_timeout_s: float = 10.0
    #: Free-form description shown by ``load --list`` and the window.
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.vus < 1:
            raise ValueError("vus must be at least 1")
        if not self.layout:
            raise ValueError("a workload needs at least one channel per VU")
        if len(self.layout) > 100:
            raise ValueError("at most 100 channels per VU (the server's limit per socket)")
        if not (self.send_rate >= 0 and math.isfinite(self.send_rate)):
            raise ValueError("the send rate must be a number >= 0")
        if self.payload_bytes < 0:
            raise ValueError("the payload size must be >= 0")
        if not (self.duration_s > 0 and math.isfinite(self.duration_s)):
            raise ValueError("the duration must be > 0 seconds (runs are always bounded)")
        for name in ("ramp_up_s", "drain_s"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be >= 0 seconds")
        if self.connect_rate is not None and not (
            self.connect_rate > 0 and math.isfinite(self.connect_rate)
        ):
            raise ValueError("the connection rate must be > 0 per second")
        if self.via not in VIAS:
            raise ValueError(f"via must be one of {', '.join(VIAS)}")
        if self.via != "ws" and self.template is None and self.payload_bytes > 0:
            pass  # REST carries JSON like the websocket; nothing else to check
        if not self.event:
            raise ValueError("a broadcast needs an event name")
        if self.connect_timeout_s <= 0:
            raise ValueError("the connect timeout must be > 0 seconds")

    # ------------------------------------------------------------------ derived figures

    @property
    def ramp_seconds(self) -> float:
        """Seconds from the first VU's connection to the last one's start."""
        if self.connect_rate is not None:
            return (self.vus - 1) / self.connect_rate if self.vus > 1 else 0.0
        return self.ramp_up_s

    def start_offset(self, vu_index: int) -> float:
        """Seconds after the run's start when VU ``vu_index`` connects."""
        if self.connect_rate is not None:
            return vu_index / self.connect_rate
        if self.vus <= 1:
            return 0.0
        return self.ramp_up_s * vu_index / self.vus

    def receivers_per_send(self, members: int) -> int:
        """Deliveries one send should make in a channel of ``members`` VUs."""
        if self.via == "ws" and not self.broadcast_self:
            return members - 1
        return members

    def channels_per_vu(self) -> int:
        return len(self.layout)

    def send_rate_total(self) -> float:
        """Messages per second all VUs send together in the sending phase."""
        return self.vus * len(self.layout) * self.send_rate

    def delivery_rate_total(self) -> float:
        """Deliveries per second expected in the sending phase (every channel full)."""
        total = 0.0
        for group in self.layout:
            for k in range(math.ceil(self.vus / group.users)):
                members = min(group.users, self.vus - k * group.users)
                total += members * self.receivers_per_send(members) * self.send_rate
        return total

    def channel_count(self) -> int:
        """Distinct channels the whole run joins."""
        return sum(math.ceil(self.vus / g.users) for g in self.layout)

    def max_run_seconds(self) -> float:
        """The longest a run can take: ramp-up, joins, sending, drain and closing."""
        return self.ramp_seconds + 2 * self.connect_timeout_s + self.duration_s + self.drain_s + 5

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["layout"] = [{"label": g.label, "users": g.users} for g in self.layout]
        out.pop("description", None)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Workload:
        values = dict(data)
        values["layout"] = tuple(ChannelGroup(**g) for g in values.get("layout", ()))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True, slots=True)
class ChannelSlot:
    """One channel a VU joins (:func:`channel_plan`)."""

    #: The channel name (without ``realtime:``).
    name: str
    #: The layout group it belongs to (its label).
    group: str
    #: Index of the channel within its group.
    index: int
    #: VUs in the channel (the group's ``users``, fewer for the group's last channel).
    members: int
    #: Deliveries each send into it should make (members, minus the sender without ``self``).
    receivers: int
    #: Whether this VU sends into it (every VU does when ``send_rate`` > 0).
    sends: bool
    #: A private channel.
    private: bool


def channel_name(workload: Workload, group: ChannelGroup, index: int) -> str:
    """``<prefix>-<run_id>-<label><users>-<index>`` (``load-3f9a-group6-12``)."""
    run = f"-{workload.run_id}" if workload.run_id else ""
    return f"{workload.channel_prefix}{run}-{group.label}{group.users}-{index}"


def channel_plan(workload: Workload, vu_index: int) -> list[ChannelSlot]:
    """The channels VU ``vu_index`` joins, in join order; deterministic (module docstring)."""
    if not 0 <= vu_index < workload.vus:
        raise ValueError(f"VU index {vu_index} is outside 0..{workload.vus - 1}")
    slots = []
    for group in workload.layout:
        k = vu_index // group.users
        members = min(group.users, workload.vus - k * group.users)
        slots.append(
            ChannelSlot(
                name=channel_name(workload, group, k),
                group=group.label,
                index=k,
                members=members,
                receivers=workload.receivers_per_send(members),
                sends=workload.send_rate > 0,
                private=workload.private,
            )
        )
    return slots


# ---------------------------------------------------------------------------- presets

_ECHO_GROUP: Final = (ChannelGroup("echo", 1), ChannelGroup("group", 6))

#: Supabase's published Broadcast workloads (issue #14 §1), at sizes one machine can run;
#: ``--vus`` and the other overrides scale them. ``payload-size`` is the 1 KB one; the three
#: named ``payload-1kb``, ``payload-10kb`` and ``payload-50kb`` are its sizes.
PRESETS: dict[str, Workload] = {
    "broadcast": Workload(
        name="broadcast",
        vus=60,
        layout=_ECHO_GROUP,
        send_rate=2.0,
        ramp_up_s=5.0,
        duration_s=30.0,
        description="each VU: one socket, an echo channel (1 user) and a group channel "
        "(6 users), 2 messages/s into each",
    ),
    "payload-size": Workload(
        name="payload-size",
        vus=60,
        layout=_ECHO_GROUP,
        send_rate=2.0,
        payload_bytes=1_000,
        ramp_up_s=5.0,
        duration_s=30.0,
        description="broadcast with 1 KB payloads (--payload 10000 or 50000 for the others)",
    ),
    "payload-1kb": Workload(
        name="payload-1kb",
        vus=60,
        layout=_ECHO_GROUP,
        send_rate=2.0,
        payload_bytes=1_000,
        ramp_up_s=5.0,
        duration_s=30.0,
        description="broadcast with 1 KB payloads",
    ),
    "payload-10kb": Workload(
        name="payload-10kb",
        vus=60,
        layout=_ECHO_GROUP,
        send_rate=2.0,
        payload_bytes=10_000,
        ramp_up_s=5.0,
        duration_s=30.0,
        description="broadcast with 10 KB payloads",
    ),
    "payload-50kb": Workload(
        name="payload-50kb",
        vus=60,
        layout=_ECHO_GROUP,
        send_rate=2.0,
        payload_bytes=50_000,
        ramp_up_s=5.0,
        duration_s=30.0,
        description="broadcast with 50 KB payloads",
    ),
    "large-fanout": Workload(
        name="large-fanout",
        vus=200,
        layout=(ChannelGroup("fanout", 100), ChannelGroup("fanout-b", 100)),
        send_rate=1 / 60,
        ramp_up_s=5.0,
        duration_s=60.0,
        description="each VU joins 2 channels of 100 users and sends 1 message/minute into each",
    ),
    "auth": Workload(
        name="auth",
        vus=100,
        layout=_ECHO_GROUP,
        send_rate=1.0,
        private=True,
        connect_rate=50.0,
        duration_s=10.0,
        description="new connections per second (--rate sets the sends; the connection rate is "
        "--connect-rate), each VU with its own user token joining 2 private channels",
    ),
    "rest": Workload(
        name="rest",
        vus=30,
        layout=(ChannelGroup("rest", 6),),
        send_rate=1.0,
        via="rest",
        ramp_up_s=3.0,
        duration_s=20.0,
        description="websocket subscribers in channels of 6; each VU posts 1 message/s into its "
        "channel with REST single (--via rest-batch for the batch endpoint)",
    ),
    "rest-batch": Workload(
        name="rest-batch",
        vus=30,
        layout=(ChannelGroup("rest", 6), ChannelGroup("rest-b", 3)),
        send_rate=1.0,
        via="rest-batch",
        ramp_up_s=3.0,
        duration_s=20.0,
        description="websocket subscribers; each VU posts one REST batch per second carrying "
        "one message for each of its 2 channels",
    ),
    "custom": Workload(
        name="custom",
        vus=10,
        layout=(ChannelGroup("custom", 10),),
        send_rate=1.0,
        ramp_up_s=0.0,
        duration_s=10.0,
        description="set everything: --vus --channels --users-per-channel --rate --payload "
        "--saved --ack --private --presence --ramp-up --duration --via",
    ),
}


def preset(name: str, **overrides: Any) -> Workload:
    """A preset with some fields replaced (``preset("broadcast", vus=1000)``).

    ``channels`` and ``users_per_channel`` rebuild the layout (``channels`` groups of
    ``users_per_channel`` users; either alone keeps the other from the preset's first group).
    Raises ``KeyError`` for an unknown preset and ``ValueError`` for a bad value or field.
    """
    try:
        base = PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown workload {name!r}; one of: {', '.join(PRESETS)}") from None
    channels = overrides.pop("channels", None)
    users = overrides.pop("users_per_channel", None)
    if channels is not None or users is not None:
        if "layout" in overrides:
            raise ValueError("give layout, or channels/users_per_channel, not both")
        n = int(channels) if channels is not None else len(base.layout)
        u = int(users) if users is not None else base.layout[0].users
        if n < 1:
            raise ValueError("channels must be at least 1")
        if channels is None:
            overrides["layout"] = tuple(ChannelGroup(g.label, u) for g in base.layout)
        else:
            label = base.layout[0].label
            overrides["layout"] = tuple(
                ChannelGroup(label if i == 0 else f"{label}-{i}", u) for i in range(n)
            )
    known = {f.name for f in dataclasses.fields(Workload)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown workload field(s): {', '.join(unknown)}")
    return dataclasses.replace(base, **overrides)
