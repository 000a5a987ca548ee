"""The users file of ``serve --users``: YAML or JSON, clear messages with the line for bad
files, never the password (issue #13 §2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.server.users import Users, UsersError


def test_yaml_users_with_defaults() -> None:
    users = Users.from_text(
        "users:\n"
        "  - email: Alice@Example.com\n"
        "    password: pw-alice\n"
        "  - email: bob@example.com\n"
        "    password: pw-bob\n"
        "    role: paying\n"
        "    user_metadata: {name: Bob}\n"
        "    app_metadata: {plan: pro}\n"
    )
    alice = users.by_email("ALICE@example.com")
    assert alice is not None
    assert alice.email == "alice@example.com"
    assert alice.role == "authenticated"
    assert alice.password_ok("pw-alice")
    assert not alice.password_ok("pw-alic")
    assert (
        alice.id == Users.from_text("users:\n- {email: alice@example.com, password: x}").users[0].id
    )
    bob = users.by_email("bob@example.com")
    assert bob is not None
    assert bob.role == "paying"
    assert bob.user_metadata == {"name": "Bob"}
    assert bob.app_metadata == {"provider": "email", "providers": ["email"], "plan": "pro"}
    assert "pw-" not in repr(users) + repr(users.users)


def test_json_file(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": [{"email": "a@example.com", "password": "p"}]}, indent=2))
    assert Users.from_file(path).by_email("a@example.com") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users:\n  - email: a@b.c\n    password: [oops\n", "users.yaml, line 4: not valid YAML"),
        ("- email: a@b.c\n", 'the file must hold one key, "users"'),
        ("users: {email: a@b.c}\n", '"users" must be a list'),
        ("users:\n  - just-a-string\n", "user 1 must be a mapping"),
        (
            "users:\n  - email: a@b.c\n    password: x\n    rol: r\n",
            "line 2: user 1: unknown key(s) rol",
        ),
        ("users:\n  - email: a@b.c\n", "line 2: user 1 (a@b.c): 'password' must be a non-empty"),
        ("users:\n  - email: a@b.c\n    password: 1234\n", "'password' must be a non-empty string"),
        ("users:\n  - email: nope\n    password: x\n", "is not an e-mail address"),
        ("users:\n  - {email: a@b.c, password: x, id: 7}\n", "'id' must be a UUID"),
        (
            "users:\n  - {email: a@b.c, password: x}\n  - {email: A@b.c, password: y}\n",
            "line 3: user 2 has the same email as user 1 (a@b.c)",
        ),
        ("users:\n  - {email: a@b.c, password: x, user_metadata: [1]}\n", "must be a mapping"),
        ("users:\n  - {email: a@b.c, password: x, email_confirmed: maybe}\n", "true or false"),
        ("users:\n  - {email: a@b.c, password: x, role: 5}\n", "'role' must be a non-empty string"),
        ("users: !!python/object:os.system {}\n", "not valid YAML or JSON"),
    ],
)
def test_bad_files_say_where_and_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(text)
    with pytest.raises(UsersError) as info:
        Users.from_file(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_password_never_in_messages() -> None:
    with pytest.raises(UsersError) as info:
        Users.from_text("users:\n  - {email: a@b.c, password: topsecret, colour: red}\n")
    assert "topsecret" not in str(info.value)


def test_unreadable_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(UsersError, match="cannot read users file"):
        Users.from_file(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"users:\n  - email: \xe9@b.c\n")
    with pytest.raises(UsersError, match="not UTF-8"):
        Users.from_file(bad)
