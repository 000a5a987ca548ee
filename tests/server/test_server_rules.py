"""The private-channel rules file (§9.3 without Postgres)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.server import Permissions, Rules, RulesError, ServerConfig

TOML = """
[[allow]]
channels = ["room-*", "lobby"]
roles = ["authenticated"]
can = ["read", "write"]

[[allow]]
channels = ["lobby"]
roles = ["*"]
can = ["presence"]
"""


def test_toml_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(TOML)
    rules = ServerConfig(rules=str(path)).load_rules()
    assert rules.permissions("authenticated", "room-1") == Permissions(True, True, False, False)
    assert rules.permissions("authenticated", "lobby") == Permissions(True, True, True, True)
    assert rules.permissions("anon", "lobby") == Permissions(False, False, True, True)
    assert rules.permissions("anon", "lobby").can_join
    assert not rules.permissions("anon", "room-1").can_join
    assert rules.permissions("service_role", "anything") == Permissions(True, True, True, True)
    assert not rules.permissions("authenticated", "ROOM-1").read  # patterns are case-sensitive


def test_json_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"allow": [{"channels": "x", "roles": "anon", "can": ["all"]}]}))
    assert Rules.from_file(path).permissions("anon", "x").presence_write


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[allow]]\nchannels = ['a']\nroles = ['r']\ncan = ['fly']", "unknown permission 'fly'"),
        ("[[allow]]\nroles = ['r']\ncan = ['read']", "'channels' must be a non-empty list"),
        (
            "[[allow]]\nchannels = ['a']\nroles = []\ncan = ['read']",
            "'roles' must be a non-empty list",
        ),
        (
            "[[allow]]\nchannels = ['a']\nroles = ['r']\ncan = ['read']\nextra = 1",
            "unknown key(s) extra",
        ),
        ("[[deny]]\nchannels = ['a']", "unknown key(s) deny"),
        ("not = = toml", "not valid TOML"),
    ],
)
def test_bad_rules_say_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(RulesError) as info:
        Rules.from_file(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read rules file"):
        Rules.from_file(tmp_path / "nope.toml")


def test_rules_for_named_users() -> None:
    """``users`` grants to particular users (e-mail, any case, or sub), as an RLS policy on
    auth.uid() would; with ``roles`` as well both must match."""
    rules = Rules.from_data(
        {
            "allow": [
                {"channels": ["dm-alice"], "users": ["Alice@Example.com"], "can": ["all"]},
                {
                    "channels": ["staff"],
                    "roles": ["authenticated"],
                    "users": ["0b4a1c2d-0000-4000-8000-000000000001"],
                    "can": ["read"],
                },
            ]
        }
    )
    alice = {"sub": "x", "email": "alice@example.com", "role": "authenticated"}
    bob = {"sub": "0b4a1c2d-0000-4000-8000-000000000001", "email": "bob@example.com"}
    assert rules.permissions("authenticated", "dm-alice", alice).write
    assert rules.permissions("anything", "dm-alice", alice).read  # no roles: any role
    assert not rules.permissions("authenticated", "dm-alice", bob).can_join
    assert not rules.permissions("authenticated", "dm-alice").can_join  # no claims, no user
    assert rules.permissions("authenticated", "staff", bob).read
    assert not rules.permissions("anon", "staff", bob).read
    with pytest.raises(RulesError, match="give 'roles', 'users' or both"):
        Rules.from_data({"allow": [{"channels": ["x"], "can": ["read"]}]})
    with pytest.raises(RulesError, match="'users' must be a non-empty list"):
        Rules.from_data({"allow": [{"channels": ["x"], "users": [], "can": ["read"]}]})
