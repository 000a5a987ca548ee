"""Who is subscribed to what, and fan-out (§2.5, §3, §5.2).

Channels live on internal keys ``(private, name)``, so a public and a private channel with the
same name never see each other's messages (§3). A :class:`Sub` is one joined channel instance
of one socket; each receives fan-out in its own format on the topic it joined.

The hub is the one owner of subscriptions: it indexes them by channel key (for fan-out) and by
socket and topic (for the socket's own pushes), and forgets them in both at once. It sees a
socket only as a :class:`FrameSink`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from inspector.protocol.frames import PRESENCE_DIFF
from inspector.protocol.serializer import VSN1
from inspector.protocol.server_fanout import Fanout

from .limits import PresenceBudget
from .presence import PresenceTopic
from .rules import ALL, Permissions
from .wsframe import ws_frame

if TYPE_CHECKING:
    from inspector.protocol.server_events import ServerChannel

    from .auth import Identity
    from .limits import CallWindow

ChannelKey = tuple[bool, str]


class FrameSink(Protocol):
    """What the hub needs of a subscriber's socket."""

    @property
    def id(self) -> int: ...

    @property
    def vsn(self) -> str: ...

    def write(self, frame: bytes) -> None:
        """Write a complete websocket frame (made by :func:`ws_frame`)."""


S = TypeVar("S", bound=FrameSink)


class Sub(Generic[S]):
    """One joined channel instance (the real server's channel process)."""

    __slots__ = (
        "ack",
        "channel",
        "identity",
        "join_ref",
        "key",
        "name",
        "perms",
        "presence_calls",
        "presence_enabled",
        "presence_key",
        "private",
        "self_broadcast",
        "sink",
        "topic",
        "vsn",
    )

    def __init__(
        self,
        sink: S,
        channel: ServerChannel,
        identity: Identity,
        perms: Permissions,
        presence_key: str,
        presence_calls: CallWindow,
    ) -> None:
        config = channel.config
        self.sink = sink
        self.channel = channel
        self.topic = channel.topic
        self.name = channel.name
        self.join_ref = channel.join_ref
        self.vsn = sink.vsn
        self.private = config.private
        self.key: ChannelKey = (config.private, channel.name)
        self.self_broadcast = config.self_broadcast
        self.ack = config.ack
        self.presence_enabled = config.presence_enabled
        self.presence_key = presence_key
        self.identity = identity
        self.perms = perms if config.private else ALL
        self.presence_calls = presence_calls

    def __repr__(self) -> str:
        return f"Sub(socket={self.sink.id}, topic={self.topic!r}, private={self.private})"


class Hub(Generic[S]):
    """Subscriptions by channel key and by socket, presence by channel key, and fan-out."""

    def __init__(self, presence_budget: PresenceBudget | None = None) -> None:
        #: bytes of presence metas held per socket and per server (local caps).
        self.presence_budget = presence_budget or PresenceBudget()
        self._subs: dict[ChannelKey, dict[Sub[S], None]] = {}
        #: socket id -> wire topic -> subscription, in join order.
        self._by_socket: dict[int, dict[str, Sub[S]]] = {}
        self._presence: dict[ChannelKey, PresenceTopic] = {}

    def add(self, sub: Sub[S]) -> None:
        self._subs.setdefault(sub.key, {})[sub] = None
        self._by_socket.setdefault(sub.sink.id, {})[sub.topic] = sub

    def get(self, socket_id: int, topic: str) -> Sub[S] | None:
        """The subscription of socket ``socket_id`` on wire topic ``topic``."""
        subs = self._by_socket.get(socket_id)
        return subs.get(topic) if subs is not None else None

    def topics(self, socket_id: int) -> list[str]:
        """The wire topics a socket has joined, in join order."""
        return list(self._by_socket.get(socket_id, ()))

    def remove(self, socket_id: int, topic: str) -> Sub[S] | None:
        """Forget a subscription; its presence goes too (diff fanned out, §8.3)."""
        by_topic = self._by_socket.get(socket_id)
        sub = by_topic.pop(topic, None) if by_topic is not None else None
        if sub is None:
            return None
        if not by_topic:
            del self._by_socket[socket_id]
        subs = self._subs.get(sub.key)
        if subs is not None:
            subs.pop(sub, None)
            if not subs:
                del self._subs[sub.key]
        self.untrack(sub.key, sub)
        return sub

    def remove_socket(self, socket_id: int) -> None:
        """Forget every subscription of a socket, in join order."""
        for topic in self.topics(socket_id):
            self.remove(socket_id, topic)

    def subscribers(self, key: ChannelKey) -> list[Sub[S]]:
        return list(self._subs.get(key, ()))

    def channels(self) -> dict[ChannelKey, int]:
        """Subscriber count per channel key."""
        return {key: len(subs) for key, subs in self._subs.items()}

    def publish(self, key: ChannelKey, fanout: Fanout[Any], sender: Sub[S] | None = None) -> int:
        """Deliver a broadcast to every subscriber allowed to read it; the count delivered.

        ``self:false`` senders are skipped (§5.2); private subscribers without broadcast read
        are skipped (§9.3).
        """
        subs = self._subs.get(key)
        if not subs:
            return 0
        n = 0
        for sub in subs:
            if sub is sender and not sub.self_broadcast:
                continue
            if not sub.perms.read:
                continue
            frame = fanout.for_receiver(sub.vsn, sub.topic)
            if frame is None:  # raw binary to a v1 receiver (§2.5)
                continue
            sub.sink.write(frame)
            n += 1
        return n

    def publish_non_object(
        self, key: ChannelKey, fanout: Fanout[Any], sender: Sub[S]
    ) -> tuple[int, bool]:
        """A JSON broadcast whose payload is not an object, as the real server dispatches it.

        The v1 serializer writes any payload; the v2 one raises for a non-map payload, in the
        sender's process, at the first v2 receiver (``supabase/realtime:lib/realtime_web/
        socket/v2_serializer.ex`` ``fastlane!``). So receivers get it in order until the first
        v2 one, and then it stops: returns (deliveries, whether it stopped there).
        """
        n = 0
        for sub in list(self._subs.get(key, ())):
            if sub is sender and not sub.self_broadcast:
                continue
            if not sub.perms.read:
                continue
            if sub.vsn != VSN1:
                return n, True
            frame = fanout.for_receiver(sub.vsn, sub.topic)
            if frame is not None:
                sub.sink.write(frame)
                n += 1
        return n, False

    # ------------------------------------------------------------------------------ presence

    def presence(self, key: ChannelKey) -> PresenceTopic:
        topic = self._presence.get(key)
        if topic is None:
            topic = self._presence[key] = PresenceTopic()
        return topic

    def presence_state(self, key: ChannelKey) -> dict[str, Any]:
        topic = self._presence.get(key)
        return topic.state() if topic is not None else {}

    def track(
        self,
        key: ChannelKey,
        owner: object,
        presence_key: str,
        meta: dict[str, Any],
        *,
        socket_id: int | None = None,
        size: int = 0,
    ) -> bool:
        """Track and fan out the diff; False when nothing changed.

        With ``socket_id``, ``size`` bytes are held in :attr:`presence_budget` for the owner
        until it untracks (the caller checked :meth:`PresenceBudget.refusal`).
        """
        diff = self.presence(key).track(owner, presence_key, meta)
        if diff is None:
            return False
        if socket_id is not None:
            self.presence_budget.hold(owner, socket_id, size)
        self.send_presence_diff(key, diff)
        return True

    def untrack(self, key: ChannelKey, owner: object) -> bool:
        self.presence_budget.release(owner)
        topic = self._presence.get(key)
        if topic is None:
            return False
        diff = topic.untrack(owner)
        if not topic:
            del self._presence[key]
        if diff is None:
            return False
        self.send_presence_diff(key, diff)
        return True

    def send_presence_diff(self, key: ChannelKey, diff: dict[str, Any]) -> int:
        """``presence_diff`` to every subscriber with presence read, tracker included (§8.3)."""
        fanout = Fanout.text(PRESENCE_DIFF, diff, wrap=ws_frame)
        n = 0
        for sub in list(self._subs.get(key, ())):
            if not sub.perms.presence_read:
                continue
            frame = fanout.for_receiver(sub.vsn, sub.topic)
            if frame is not None:
                sub.sink.write(frame)
                n += 1
        return n
