"""``serve --signing-key ES256|RS256`` / ``--signing-key-file``: printed keys and tokens signed
with an asymmetric key (``kid`` in the header), the JWKS served and used to verify tokens with
the real server's texts (supabase/realtime ``jwt_verification.ex``, ``user_socket.ex``); HS256
with the legacy secret keeps working (issue #13 §2)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from inspector.protocol.jwt import CLI_DEV_SECRET, JwtError, demo_key, peek, sign
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.notes import fingerprint
from inspector.server.signing import SigningKey, SigningKeyError

TIMEOUT = 20.0
SIGNER = "check your JWT secret or JWKS configuration"


def _claims(role: str = "authenticated", exp_in: int = 600) -> dict[str, object]:
    return {"role": role, "exp": int(time.time()) + exp_in, "sub": "u1"}


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
async def test_printed_keys_and_jwks(alg: str) -> None:
    async with RealtimeServer(ServerConfig(port=0, signing_key=alg)) as server:
        key = server.signing_key
        for printed, role in ((server.anon_key, "anon"), (server.service_role_key, "service_role")):
            peeked = peek(printed)
            assert peeked is not None
            assert peeked.header == {"alg": alg, "kid": key.kid, "typ": "JWT"}
            assert peeked.claims == peek(demo_key(role)).claims  # type: ignore[union-attr]
        async with httpx.AsyncClient(timeout=5) as http:
            r = await http.get(f"{server.url}/auth/v1/.well-known/jwks.json")  # no apikey
        assert r.status_code == 200
        assert r.headers["Cache-Control"] == "public, max-age=600"
        (jwk,) = r.json()["keys"]
        assert jwk["kid"] == key.kid
        assert jwk["alg"] == alg
        assert jwk["use"] == "sig"
        assert "d" not in jwk
        assert "p" not in jwk
        assert jwk["kty"] == ("EC" if alg == "ES256" else "RSA")
        # the websocket accepts the printed key and the secret's HS256 demo key alike
        for apikey in (server.anon_key, demo_key("anon")):
            async with connect(f"{server.ws_url}?apikey={apikey}&vsn=2.0.0") as ws:
                await ws.send(json.dumps([None, "1", "phoenix", "heartbeat", {}]))
                assert json.loads(await ws.recv())[4]["status"] == "ok"


async def _handshake_error(server: RealtimeServer, token: str) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as info:
        async with connect(f"{server.ws_url}?apikey={token}&vsn=2.0.0"):
            pass
    response = info.value.response
    return response.status_code, json.loads(response.body or b"{}")["error"]


async def test_tokens_of_other_keys_get_the_real_servers_texts() -> None:
    async with RealtimeServer(ServerConfig(port=0, signing_key="ES256")) as server:
        other = SigningKey.generate("ES256")
        assert await _handshake_error(server, other.sign(_claims())) == (
            401,
            f'Failed to generate JWT signer for key ID (kid) "{other.kid}", {SIGNER}',
        )
        forged = SigningKey("ES256", private_key=other.private_key, kid=server.signing_key.kid)
        assert await _handshake_error(server, forged.sign(_claims())) == (
            401,
            "Failed to validate JWT signature",
        )
        # an RS256 token naming the EC key's kid: no RSA key has it
        rsa_forged = SigningKey(
            "RS256",
            private_key=SigningKey.generate("RS256").private_key,
            kid=server.signing_key.kid,
        )
        assert (await _handshake_error(server, rsa_forged.sign(_claims())))[1].startswith(
            "Failed to generate JWT signer for key ID (kid)"
        )
        # no kid at all: no signer (the real server's clause for anything else)
        no_kid = SigningKey("ES256", private_key=server.signing_key.private_key, kid=None)
        import jwt as pyjwt

        token = pyjwt.encode(_claims(), no_kid.private_key, algorithm="ES256")
        assert await _handshake_error(server, token) == (
            401,
            f"Failed to generate JWT signer, {SIGNER}",
        )
        expired = server.signing_key.sign(_claims(exp_in=-10))
        assert await _handshake_error(server, expired) == (401, "Token has expired")
        assert await _handshake_error(server, server.signing_key.sign({"exp": 1e12})) == (
            401,
            "Fields `role` and `exp` are required in JWT",
        )
        # HS256 with the legacy secret keeps working, with or without a kid
        legacy = sign(_claims(), CLI_DEV_SECRET)
        assert not isinstance(server.auth.authenticate(legacy, time.time()), JwtError)
        with_kid = pyjwt.encode(_claims(), CLI_DEV_SECRET, algorithm="HS256", headers={"kid": "k"})
        assert not isinstance(server.auth.authenticate(with_kid, time.time()), JwtError)
        verdict = server.auth.authenticate(sign(_claims(), "another-secret-" * 3), time.time())
        assert isinstance(verdict, JwtError)


async def test_a_join_with_a_foreign_kid_is_refused_with_the_kid_in_the_reason() -> None:
    async with RealtimeServer(ServerConfig(port=0, signing_key="RS256")) as server:
        other = SigningKey.generate("RS256")
        async with connect(f"{server.ws_url}?apikey={server.anon_key}&vsn=2.0.0") as ws:
            join = {"config": {"private": False}, "access_token": other.sign(_claims())}
            await ws.send(json.dumps(["1", "1", "realtime:room", "phx_join", join]))
            reply = json.loads(await ws.recv())
        assert reply[4] == {
            "status": "error",
            "response": {
                "reason": "JwtSignerError: Failed to generate JWT signer for key ID (kid) "
                f'"{other.kid}", {SIGNER}'
            },
        }


def test_server_without_asymmetric_key_keeps_the_old_texts() -> None:
    """HS256 servers have no JWKS (as projects with only the legacy secret): an ES256 token
    with a kid gets the signer text without kid, as before."""
    from inspector.server.auth import Authenticator

    auth = Authenticator(CLI_DEV_SECRET)
    verdict = auth.authenticate(SigningKey.generate("ES256").sign(_claims()), time.time())
    assert isinstance(verdict, JwtError)
    assert verdict.kid is None


def _pem(private: object) -> bytes:
    return private.private_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_key_files_pem_and_jwk(tmp_path: Path) -> None:
    ec_pem = tmp_path / "ec.pem"
    ec_pem.write_bytes(_pem(ec.generate_private_key(ec.SECP256R1())))
    key = SigningKey.from_file(ec_pem)
    assert key.alg == "ES256"
    assert key.kid == SigningKey.from_file(ec_pem).kid  # the thumbprint: stable
    rsa_pem = tmp_path / "rsa.pem"
    rsa_pem.write_bytes(_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    assert SigningKey.from_file(rsa_pem, "RS256").alg == "RS256"
    with pytest.raises(SigningKeyError, match="holds an RS256 key, not ES256"):
        SigningKey.from_file(rsa_pem, "ES256")
    import jwt as pyjwt

    jwk = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(key.private_key))
    jwk["kid"] = "my-key-1"
    jwk_file = tmp_path / "key.jwk"
    jwk_file.write_text(json.dumps(jwk))
    from_jwk = SigningKey.from_file(jwk_file)
    assert from_jwk.kid == "my-key-1"
    assert peek(from_jwk.sign(_claims())).header["kid"] == "my-key-1"  # type: ignore[union-attr]
    public_only = dict(jwk)
    del public_only["d"]
    jwk_file.write_text(json.dumps(public_only))
    with pytest.raises(SigningKeyError, match="private key"):
        SigningKey.from_file(jwk_file)
    p384 = tmp_path / "p384.pem"
    p384.write_bytes(_pem(ec.generate_private_key(ec.SECP384R1())))
    with pytest.raises(SigningKeyError, match="P-256"):
        SigningKey.from_file(p384)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    with pytest.raises(SigningKeyError, match="not an unencrypted PEM private key"):
        SigningKey.from_file(junk)
    with pytest.raises(SigningKeyError, match="cannot read signing key file"):
        SigningKey.from_file(tmp_path / "missing.pem")
    assert "PRIVATE" not in repr(key)
    assert "private_key" not in repr(key)


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", "serve", "--port", "0", *args],
        capture_output=True,
        timeout=TIMEOUT,
        text=True,
        check=False,
    )


def test_bad_signing_key_file_and_users_file_exit_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("nope")
    proc = _serve("--signing-key-file", str(junk))
    assert proc.returncode == 2
    assert "not an unencrypted PEM private key" in proc.stderr
    users = tmp_path / "users.yaml"
    users.write_text("users:\n  - email: a@example.com\n    password: hunter2hunter2\n    rol: x\n")
    proc = _serve("--users", str(users))
    assert proc.returncode == 2
    assert f"{users}, line 2: user 1: unknown key(s) rol" in proc.stderr
    assert "hunter2" not in proc.stderr


async def test_serve_banner_with_signing_key_file_and_users(tmp_path: Path) -> None:
    pem = tmp_path / "ec.pem"
    pem.write_bytes(_pem(ec.generate_private_key(ec.SECP256R1())))
    kid = SigningKey.from_file(pem).kid
    users = tmp_path / "users.yaml"
    users.write_text("users:\n  - email: a@example.com\n    password: secret-pw-123\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        *("serve", "--port", "0", "--log-level", "info"),
        *("--signing-key-file", str(pem), "--users", str(users), "--jwt-expiry", "120"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        found: dict[str, str] = {}
        async with asyncio.timeout(TIMEOUT):
            while "service_role key" not in found:
                line = (await proc.stdout.readline()).decode()
                assert line, "serve exited before printing its banner"
                label, sep, value = line.strip().partition(": ")
                if sep:
                    found[label] = value.strip()
        url = found["Project URL"]
        assert found["Signing key"] == f"ES256, kid {kid}, from {pem}"
        assert found["JWKS"] == f"{url}/auth/v1/.well-known/jwks.json"
        assert found["Auth (sign-in)"] == f"{url}/auth/v1 (1 user from {users})"
        assert peek(found["anon key"]).header["kid"] == kid  # type: ignore[union-attr]
        async with httpx.AsyncClient(timeout=5) as http:
            r = await http.post(
                f"{url}/auth/v1/token?grant_type=password",
                json={"email": "a@example.com", "password": "secret-pw-123"},
                headers={"apikey": found["anon key"]},
            )
        assert r.status_code == 200
        assert r.json()["expires_in"] == 120
        session_token = r.json()["access_token"]
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        assert proc.returncode == 0
        assert b"secret-pw-123" not in out + err
        assert b"eyJ" not in err
        assert fingerprint(session_token) not in (out + err).decode()
        assert b"PRIVATE KEY" not in out + err
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
