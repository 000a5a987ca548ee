"""Issue #10 item 7: the JWT secret can come from a file or the environment, not only the
command line (which other local users can read), and is never printed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from serve_process import run_serve, serve_process

from inspector.protocol.jwt import CLI_DEV_SECRET, JwtError, verify

ENV = "REALTIME_INSPECTOR_JWT_SECRET"
FILE_SECRET = "secret-from-a-file-with-at-least-32-characters"
ENV_SECRET = "secret-from-the-environment-at-least-32-chars"


def signed_with(key: str, secret: str) -> bool:
    return not isinstance(verify(key, secret, time.time()), JwtError)


async def _secret_used(*args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    """The secret the banner's keys are signed with, and everything serve printed."""
    async with serve_process("--port", "0", "--log-level", "debug", *args, env=env) as serve:
        keys = serve.banner["anon key"], serve.banner["service_role key"]
        source = serve.banner["JWT secret"]
        assert await serve.stop() == 0
    output = (serve.stdout + serve.stderr).decode()
    for secret in (FILE_SECRET, ENV_SECRET, CLI_DEV_SECRET):
        if all(signed_with(k, secret) for k in keys):
            assert secret not in output  # never printed
            assert source.endswith("(not shown)")
            return secret, output
    raise AssertionError("the keys are signed with none of the secrets")


async def test_secret_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "jwt-secret"
    path.write_text(FILE_SECRET + "\n")  # the newline an editor adds is not part of it
    secret, _ = await _secret_used("--jwt-secret-file", str(path))
    assert secret == FILE_SECRET


async def test_secret_from_the_environment() -> None:
    secret, _ = await _secret_used(env={ENV: ENV_SECRET})
    assert secret == ENV_SECRET


async def test_a_file_or_flag_wins_over_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "jwt-secret"
    path.write_text(FILE_SECRET)
    secret, _ = await _secret_used("--jwt-secret-file", str(path), env={ENV: ENV_SECRET})
    assert secret == FILE_SECRET


async def test_default_is_the_public_cli_secret() -> None:
    secret, _ = await _secret_used()
    assert secret == CLI_DEV_SECRET


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--jwt-secret", "x" * 40, "--jwt-secret-file", "f"), {}, "not both"),
        (("--jwt-secret-file", "/nonexistent/jwt-secret"), {}, "cannot read"),
        (("--jwt-secret-file", "EMPTY"), {}, "is empty"),
        ((), {ENV: "  "}, f"{ENV} is set but empty"),
    ],
)
def test_unusable_secrets_exit_2_with_a_message(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    args = tuple(str(empty) if a == "EMPTY" else a for a in args)
    done = run_serve("--port", "0", *args, env=env)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert "x" * 40 not in done.stderr
