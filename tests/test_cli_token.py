"""``realtime-inspector token mint``: the token a local server accepts, its claims, its errors."""

from __future__ import annotations

import asyncio
import time

import pytest
from cli_helpers import TIMEOUT, cli_env, run, start

from inspector.protocol import jwt
from inspector.server import RealtimeServer, Rules, ServerConfig

SECRET = "a-local-project-secret-that-is-long-enough-000"


@pytest.fixture
def server_config() -> ServerConfig:
    """For the suite-wide ``server`` fixture: private ``members-*`` for authenticated only."""
    rules = Rules.from_data(
        {"allow": [{"channels": ["members-*"], "roles": ["authenticated"], "can": ["all"]}]}
    )
    return ServerConfig(port=0, rules=rules, jwt_secret=SECRET)


async def test_minted_token_carries_the_claims_and_verifies() -> None:
    before = time.time()
    code, lines, err = await run(
        "token",
        "mint",
        "--sub",
        "user-7",
        "--email",
        "u7@example.com",
        "--exp",
        "15m",
        "--claim",
        'tier="gold"',
        "--claim",
        "n=3",
        "--secret-env",
        "RI_T",
        "--json",
        env=cli_env(RI_T=SECRET),
    )
    assert (code, err) == (0, "")
    claims = lines[0]["claims"]
    assert claims["sub"] == "user-7"
    assert claims["email"] == "u7@example.com"
    assert claims["role"] == "authenticated"
    assert claims["aud"] == "authenticated"
    assert (claims["tier"], claims["n"]) == ("gold", 3)
    assert before + 15 * 60 - 2 <= claims["exp"] <= time.time() + 15 * 60 + 2
    ok = jwt.verify(lines[0]["token"], SECRET, now=time.time())
    assert not isinstance(ok, jwt.JwtError), ok


async def test_a_minted_user_token_joins_a_private_channel_anon_cannot(
    server: RealtimeServer,
) -> None:
    proc = await start(
        "token", "mint", "--sub", "user-7", "--secret-env", "RI_T", env=cli_env(RI_T=SECRET)
    )
    out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0
    token = out.decode().strip()  # the plain output is the token alone, for $(...)
    assert jwt.looks_like_jwt(token)
    send = ("send", "--channel", "members-1", "--private", "--event", "e", "--payload", "{}")
    code, _, err = await run(*send, env=cli_env(server))
    assert code == 1
    assert "You do not have permissions" in err
    code, _, err = await run(*send, "--token", token, env=cli_env(server))
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--secret-env", "RI_UNSET"), "RI_UNSET is not set"),
        (("--secret-env", "RI_T", "--exp", "soon"), "not a duration: 'soon'"),
        (("--secret-env", "RI_T", "--claim", "novalue"), "a claim is NAME=VALUE"),
        (("--secret-env", "RI_T", "--role", " "), "--role cannot be empty"),
        (("--secret-env", "RI_T", "--claim", "exp=abc"), "exp is a time, in seconds since 1970"),
        (("--secret-env", "RI_T", "--claim", "nbf=true"), "nbf is a time"),
    ],
)
async def test_bad_arguments_exit_2_without_printing_a_token(
    args: tuple[str, ...], message: str
) -> None:
    code, lines, err = await run("token", "mint", *args, env=cli_env(RI_T=SECRET))
    assert code == 2
    assert lines == []
    assert message in err
    assert SECRET not in err
