"""A profile's identities in the settings file (issue #13 §1): round trip, unknown keys and
malformed entries ignored, never a secret."""

from __future__ import annotations

import json

import pytest

from inspector.store import Profile, ProfileBook
from inspector.store.profiles.identities import (
    Identity,
    find_identity,
    format_claims,
    parse_claims,
    secret_kind,
    validate_identity_name,
)

MINTED = Identity(
    "i2",
    "bob",
    "minted",
    email="bob@example.com",
    role="authenticated",
    sub="bob-id",
    claims={"aal": "aal2", "app_metadata": {"team": "a"}},
    lifetime_s=600,
)


def test_profiles_keep_their_identities_through_the_settings() -> None:
    identities = (
        Identity("i1", "alice", "password", email="alice@example.com"),
        MINTED,
        Identity("i3", "pasted", "token", has_refresh_token=True),
        Identity("i4", "admin", "key"),
        Identity("i5", "guest"),
    )
    book = ProfileBook([Profile("p1", "Local", "http://127.0.0.1:54321", identities=identities)])
    data = json.loads(json.dumps(book.to_data()))
    again = ProfileBook.from_data(data)
    assert again.get("p1") == book.get("p1")
    assert again[0].identity("bob") == MINTED
    assert again[0].identity("i1") == identities[0]  # by id too
    assert Identity("x", "old").to_dict() == {"id": "x", "name": "old", "kind": "anon"}


def test_unknown_keys_and_malformed_entries_are_ignored() -> None:
    data = [
        {
            "id": "p1",
            "name": "Local",
            "url": "http://x",
            "identities": [
                {"id": "i1", "name": "alice", "kind": "password", "email": "a@b",
                 "password": "LEAKED", "token": "LEAKED", "future": 1},
                {"id": "i2", "name": "alice", "kind": "anon"},  # the name is taken
                {"id": "i1", "name": "other", "kind": "anon"},  # the id is taken
                {"id": "i3", "name": "x", "kind": "wizard"},
                {"id": "", "name": "y", "kind": "anon"},
                "not an object",
                {"id": "i4", "name": "m", "kind": "minted", "lifetime_s": -5, "claims": [1]},
            ],
        }
    ]  # fmt: skip
    profile = ProfileBook.from_data(data)[0]
    assert [i.name for i in profile.identities] == ["alice", "m"]
    assert profile.identities[1].lifetime_s == 3600
    assert profile.identities[1].claims == {}
    assert "LEAKED" not in json.dumps(ProfileBook([profile]).to_data())
    assert (
        ProfileBook.from_data([{"id": "p", "name": "n", "url": "u", "identities": 3}])[0].identities
        == ()
    )


def test_names_claims_and_secret_fields() -> None:
    others = (Identity("i1", "alice"), Identity("i2", "Bob"))
    assert validate_identity_name(" ", others) == "An identity needs a name"
    assert "already has an identity named 'alice'" in (
        validate_identity_name("alice", others) or ""
    )
    assert validate_identity_name("alice", others, own_id="i1") is None
    assert find_identity(others, "bob") is others[1]
    assert find_identity(others, "carol") is None
    assert parse_claims('aal=aal2\nn=3\nmeta={"a": 1}\n\nname=Ann Lee') == {
        "aal": "aal2", "n": 3, "meta": {"a": 1}, "name": "Ann Lee",
    }  # fmt: skip
    assert parse_claims(format_claims(MINTED.claims)) == MINTED.claims
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_claims("oops")
    assert secret_kind("i1", "password") == "identity.i1.password"
    assert Identity("i", "t", "token").secret_fields == ("token",)
    assert Identity("i", "t", "token", has_refresh_token=True).secret_fields == (
        "token",
        "refresh_token",
    )
    assert MINTED.secret_fields == ("jwt_secret",)
    assert MINTED.describe() == "minted · authenticated · sub bob-id · bob@example.com"


def test_a_tab_keeps_its_identity_through_the_settings() -> None:
    from inspector.store import ChannelOptions

    options = ChannelOptions("members-1", private=True, identity="i1")
    again = ChannelOptions.from_dict(json.loads(json.dumps(options.to_dict())))
    assert again == options
    assert "identity" not in ChannelOptions("room").to_dict()  # as before for the profile's own
    assert ChannelOptions.from_dict({"name": "x", "identity": 3}) == ChannelOptions("x")
    assert options.differences(ChannelOptions("members-1", private=True)) == ["identity"]
