"""The local server's token signing key: the legacy HS256 secret, or an asymmetric key pair
(ES256 / RS256) as new Supabase projects use, with its public half served as a JWKS.

The asymmetric parts (key generation, PEM and JWK reading, signing, verifying) are PyJWT with
``cryptography``; HS256 with the legacy secret stays in the pure core (``protocol/jwt.py``).
The private key never appears in a repr, a log line or the JWKS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm, get_default_algorithms

from inspector.protocol.jwt import b64url_encode, sign

#: algorithms ``serve --signing-key`` can generate.
ASYMMETRIC = ("ES256", "RS256")


class SigningKeyError(ValueError):
    """A signing key cannot be made or read; the message says why (never the key itself)."""


def thumbprint(public_jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public EC or RSA JWK (base64url SHA-256): a stable ``kid``."""
    members = ("crv", "kty", "x", "y") if public_jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps(
        {m: public_jwk[m] for m in members}, separators=(",", ":"), sort_keys=True
    )
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class SigningKey:
    """What signs the server's keys and the tokens it issues.

    ``alg`` "HS256" signs with the legacy secret (no ``kid``: the CLI's demo keys stay byte for
    byte the same). "ES256"/"RS256" sign with ``private_key`` and put ``kid`` in the header.
    """

    alg: str
    secret: str = field(default="", repr=False)
    private_key: Any = field(default=None, repr=False)
    kid: str | None = None
    #: where the key came from, for the banner ("generated", "from FILE", ...).
    source: str = ""

    @property
    def asymmetric(self) -> bool:
        return self.alg != "HS256"

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A compact JWT of ``claims``."""
        if not self.asymmetric:
            return sign(dict(claims), self.secret)
        headers = {"kid": self.kid, "typ": "JWT"}
        return jwt.encode(dict(claims), self.private_key, algorithm=self.alg, headers=headers)

    def public_jwk(self) -> dict[str, Any] | None:
        """The public key as a JWK for the JWKS (None for HS256: a secret is never served)."""
        if not self.asymmetric:
            return None
        algorithm = ECAlgorithm if self.alg.startswith("ES") else RSAAlgorithm
        public = json.loads(algorithm.to_jwk(self.private_key.public_key()))
        public.update({"alg": self.alg, "kid": self.kid, "use": "sig", "key_ops": ["verify"]})
        return dict(public)

    def jwks(self) -> dict[str, Any]:
        """``{"keys": [...]}``, empty for HS256 (as Supabase Auth serves no HMAC key)."""
        jwk = self.public_jwk()
        return {"keys": [jwk] if jwk is not None else []}

    @classmethod
    def legacy(cls, secret: str) -> SigningKey:
        return cls("HS256", secret=secret, source="the JWT secret (HS256)")

    @classmethod
    def generate(cls, alg: str) -> SigningKey:
        """A new key pair for ``alg`` ("ES256": P-256; "RS256": RSA 2048), kid its thumbprint."""
        if alg == "ES256":
            private: Any = ec.generate_private_key(ec.SECP256R1())
        elif alg == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise SigningKeyError(f"unknown signing key algorithm {alg!r} (use ES256 or RS256)")
        return cls._of(alg, private, None, "generated at start (new on every start)")

    @classmethod
    def from_file(cls, path: str | Path, alg: str | None = None) -> SigningKey:
        """Read a private key: PEM (PKCS#8 or traditional, unencrypted) or a private JWK
        (JSON, ``d`` present; its ``kid`` is kept). ``alg`` must agree with the key's type."""
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise SigningKeyError(
                f"cannot read signing key file {p}: {exc.strerror or exc}"
            ) from None
        text = data.strip()
        kid: str | None = None
        if text.startswith(b"{"):
            private, kid, jwk_alg = _from_jwk(text, p)
            alg = alg or jwk_alg
        else:
            try:
                private = serialization.load_pem_private_key(data, password=None)
            except (ValueError, TypeError) as exc:
                raise SigningKeyError(
                    f"{p}: not an unencrypted PEM private key or a private JWK ({exc})"
                ) from None
        if isinstance(private, ec.EllipticCurvePrivateKey):
            if not isinstance(private.curve, ec.SECP256R1):
                raise SigningKeyError(f"{p}: EC key on {private.curve.name}; ES256 needs P-256")
            kind = "ES256"
        elif isinstance(private, rsa.RSAPrivateKey):
            if private.key_size < 2048:
                raise SigningKeyError(f"{p}: RSA key of {private.key_size} bits; use 2048 or more")
            kind = "RS256"
        else:
            raise SigningKeyError(f"{p}: unsupported key type (use an EC P-256 or RSA key)")
        if alg is not None and alg != kind:
            raise SigningKeyError(f"{p} holds an {kind} key, not {alg}")
        return cls._of(kind, private, kid, f"from {p}")

    @classmethod
    def _of(cls, alg: str, private: Any, kid: str | None, source: str) -> SigningKey:
        algorithm = ECAlgorithm if alg == "ES256" else RSAAlgorithm
        public = json.loads(algorithm.to_jwk(private.public_key()))
        return cls(alg, private_key=private, kid=kid or thumbprint(public), source=source)


def _from_jwk(text: bytes, p: Path) -> tuple[Any, str | None, str | None]:
    try:
        jwk = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SigningKeyError(f"{p}: not valid JSON: {exc}") from None
    if isinstance(jwk, dict) and isinstance(jwk.get("keys"), list) and len(jwk["keys"]) == 1:
        jwk = jwk["keys"][0]  # a JWKS holding one private key
    if not isinstance(jwk, dict) or "d" not in jwk:
        raise SigningKeyError(f'{p}: a JWK file must hold one private key (with "d")')
    kty = jwk.get("kty")
    if kty not in ("EC", "RSA"):
        raise SigningKeyError(f"{p}: unsupported JWK kty {kty!r} (use EC or RSA)")
    try:
        private = ECAlgorithm.from_jwk(jwk) if kty == "EC" else RSAAlgorithm.from_jwk(jwk)
    except (jwt.InvalidKeyError, ValueError, KeyError, TypeError) as exc:
        raise SigningKeyError(f"{p}: not a usable {kty} JWK ({exc})") from None
    kid = jwk.get("kid")
    alg = jwk.get("alg")
    return (
        private,
        kid if isinstance(kid, str) and kid else None,
        alg if isinstance(alg, str) else None,
    )


class JwksVerifier:
    """Checks the signature of an asymmetric token against a JWKS, as the Realtime server picks
    a key (``jwt_verification.ex``): RS* needs an RSA key, ES* an EC key, EdDSA/Ed25519/Ed448
    an OKP Ed key, each with the token's ``kid``."""

    _KTY: ClassVar[dict[str, str]] = {"RS": "RSA", "ES": "EC", "Ed": "OKP"}

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        keys = jwks.get("keys")
        self._keys: list[Mapping[str, Any]] = [k for k in keys or [] if isinstance(k, Mapping)]
        self._prepared: dict[tuple[str, str], Any] = {}

    def __repr__(self) -> str:
        return f"JwksVerifier({len(self._keys)} keys)"

    def key_for(self, alg: str, kid: str) -> Mapping[str, Any] | None:
        """The JWK the real server would use for this header, or None."""
        kty = "OKP" if alg in ("EdDSA", "Ed25519", "Ed448") else self._KTY.get(alg[:2])
        for jwk in self._keys:
            if jwk.get("kty") == kty and jwk.get("kid") == kid:
                if kty == "OKP" and jwk.get("crv") not in ("Ed25519", "Ed448"):
                    return None
                return jwk
        return None

    def signature_ok(self, alg: str, kid: str, signing_input: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is valid for ``signing_input`` under the key ``kid``."""
        name = "EdDSA" if alg in ("Ed25519", "Ed448") else alg
        algorithm = get_default_algorithms().get(name)
        jwk = self.key_for(alg, kid)
        if algorithm is None or jwk is None:
            return False
        cache = (alg, kid)
        key = self._prepared.get(cache)
        if key is None:
            try:
                key = algorithm.from_jwk(dict(jwk))
            except (jwt.InvalidKeyError, ValueError, KeyError, TypeError):
                return False
            self._prepared[cache] = key
        try:
            return bool(algorithm.verify(signing_input, key, signature))
        except (ValueError, TypeError, jwt.InvalidKeyError):
            return False
