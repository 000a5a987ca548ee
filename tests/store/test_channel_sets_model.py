"""The channel sets model (issue #15 item 7): save, replace, rename, delete, and the stored
data read back (bad entries skipped)."""

from __future__ import annotations

import pytest

from inspector.store import ChannelOptions
from inspector.store.channels.channel_sets import (
    MAX_NAME,
    ChannelSetError,
    ChannelSets,
)

A = ChannelOptions("room-a", ack=True)
B = ChannelOptions("room-b", broadcast_self=True, presence_key="me", events=("chat*",))


def test_save_keeps_names_and_options_in_order() -> None:
    sets = ChannelSets()
    made, replaced = sets.save("  Morning   checks ", [A, B, A])
    assert not replaced
    assert made.name == "Morning checks"
    assert made.channels == (A, B)  # a duplicate tab name is kept once
    again, replaced = sets.save("morning CHECKS", [B])
    assert replaced  # names compare as a user reads them
    assert sets.names() == ["morning CHECKS"]
    assert again.channels == (B,)


def test_round_trip_through_settings_data() -> None:
    sets = ChannelSets()
    sets.save("one", [A, B])
    sets.save("two", [B])
    data = sets.to_data()
    back = ChannelSets.from_data(data)
    assert back == sets
    # options only, never a secret: exactly the fields of ChannelOptions.to_dict
    assert {k for d in data for c in d["channels"] for k in c} == set(A.to_dict())
    noisy = [*data, {"name": ""}, {"name": "x", "channels": "no"}, 7, {"name": "one"}]
    assert ChannelSets.from_data(noisy).names() == ["one", "two"]
    assert ChannelSets.from_data("garbage").sets == []


def test_rename_and_delete() -> None:
    sets = ChannelSets()
    sets.save("one", [A])
    sets.save("two", [B])
    assert sets.rename("one", "first").name == "first"
    with pytest.raises(ChannelSetError, match="exists already"):
        sets.rename("first", "TWO")
    with pytest.raises(ChannelSetError, match="needs a name"):
        sets.rename("first", "   ")
    with pytest.raises(ChannelSetError, match="no channel set"):
        sets.rename("nope", "x")
    assert sets.delete("FIRST")
    assert not sets.delete("first")
    assert sets.names() == ["two"]


def test_bad_saves_say_why() -> None:
    sets = ChannelSets()
    with pytest.raises(ChannelSetError, match="No channel is open"):
        sets.save("empty", [])
    with pytest.raises(ChannelSetError, match="at most"):
        sets.save("x" * (MAX_NAME + 1), [A])
