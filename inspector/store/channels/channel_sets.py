"""Channel sets: named lists of a profile's tabs (channel names and join options), saved and
reopened in one action (issue #15 item 7).

:class:`ChannelSets` is the collection of one profile, in the order the sets were made; names
are unique (compared without surrounding spaces and ignoring case, as a user reads them). It
converts to and from plain JSON data for the settings (no secrets: options only). Bad stored
data is skipped, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from .channels import ChannelOptions

#: Longest set name, in characters.
MAX_NAME: Final = 80
#: Most sets per profile, and most channels per set (a socket joins 100 channels by default).
MAX_SETS: Final = 200
MAX_CHANNELS: Final = 100


class ChannelSetError(ValueError):
    """A set name or content that cannot be saved; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class ChannelSet:
    name: str
    channels: tuple[ChannelOptions, ...]

    def describe(self) -> str:
        """``room-1 (ack, self), cursors`` for a menu tooltip."""
        parts = []
        for options in self.channels:
            chips = options.chips()
            parts.append(f"{options.name} ({', '.join(chips)})" if chips else options.name)
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "channels": [c.to_dict() for c in self.channels]}

    @classmethod
    def from_dict(cls, data: Any) -> ChannelSet | None:
        if not isinstance(data, dict):
            return None
        name = data.get("name")
        channels = data.get("channels")
        if not isinstance(name, str) or not name.strip() or not isinstance(channels, list):
            return None
        out: list[ChannelOptions] = []
        for entry in channels[:MAX_CHANNELS]:
            options = ChannelOptions.from_dict(entry)
            if options is not None and all(o.name != options.name for o in out):
                out.append(options)
        return cls(name.strip()[:MAX_NAME], tuple(out)) if out else None


def clean_name(name: str) -> str:
    """The name as it is stored; ChannelSetError when it is empty or too long."""
    text = " ".join(name.split())
    if not text:
        raise ChannelSetError("A channel set needs a name.")
    if len(text) > MAX_NAME:
        raise ChannelSetError(f"A channel set name has at most {MAX_NAME} characters.")
    return text


@dataclass
class ChannelSets:
    """The channel sets of one profile."""

    sets: list[ChannelSet] = field(default_factory=list)

    def names(self) -> list[str]:
        return [s.name for s in self.sets]

    def _index(self, name: str) -> int:
        key = " ".join(name.split()).casefold()
        for i, s in enumerate(self.sets):
            if s.name.casefold() == key:
                return i
        return -1

    def get(self, name: str) -> ChannelSet | None:
        i = self._index(name)
        return self.sets[i] if i >= 0 else None

    def save(self, name: str, channels: list[ChannelOptions]) -> tuple[ChannelSet, bool]:
        """Save (or replace) the set ``name`` with these tabs; the set and whether an existing
        one was replaced. ChannelSetError for a bad name or no channels."""
        text = clean_name(name)
        unique: list[ChannelOptions] = []
        for options in channels:
            if all(o.name != options.name for o in unique):
                unique.append(options)
        if not unique:
            raise ChannelSetError("No channel is open: join channels first, then save them.")
        if len(unique) > MAX_CHANNELS:
            raise ChannelSetError(f"A channel set holds at most {MAX_CHANNELS} channels.")
        made = ChannelSet(text, tuple(unique))
        i = self._index(text)
        if i >= 0:
            self.sets[i] = made
            return made, True
        if len(self.sets) >= MAX_SETS:
            raise ChannelSetError(f"A profile holds at most {MAX_SETS} channel sets.")
        self.sets.append(made)
        return made, False

    def rename(self, old: str, new: str) -> ChannelSet:
        i = self._index(old)
        if i < 0:
            raise ChannelSetError(f"There is no channel set “{old}”.")
        text = clean_name(new)
        j = self._index(text)
        if j >= 0 and j != i:
            raise ChannelSetError(f"A channel set named “{self.sets[j].name}” exists already.")
        renamed = ChannelSet(text, self.sets[i].channels)
        self.sets[i] = renamed
        return renamed

    def delete(self, name: str) -> bool:
        i = self._index(name)
        if i < 0:
            return False
        del self.sets[i]
        return True

    def to_data(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.sets]

    @classmethod
    def from_data(cls, data: Any) -> ChannelSets:
        out = cls()
        if not isinstance(data, list):
            return out
        for entry in data[:MAX_SETS]:
            made = ChannelSet.from_dict(entry)
            if made is not None and out._index(made.name) < 0:
                out.sets.append(made)
        return out
