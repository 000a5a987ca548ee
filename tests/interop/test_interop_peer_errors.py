"""The official clients' own errors fail the test that did not expect them (issue 10 #21).

Each peer is told to report an error the way its library does (realtime-js: ``console.error``,
an unhandled rejection, an uncaught exception; realtime-py: an ERROR log record) with the
peers' ``fault`` command; the pool's close then raises, unless the test declared the error.
"""

from __future__ import annotations

import pytest
from peers import PeerError, PeerPool


async def fault(pool: PeerPool, kind: str, **args: str) -> None:
    peer = await (pool.js() if kind == "js" else pool.py())
    await peer.call("fault", **args)
    want = (
        "log"
        if kind == "py"
        else ("console_error" if args.get("how") == "console" else "unhandled")
    )
    await peer.expect(ev=want)


@pytest.mark.parametrize(
    ("kind", "how", "shown"),
    [
        ("js", "console", "console_error: fault: boom-console"),
        ("js", "rejection", "unhandled: boom-rejection"),
        ("js", "exception", "unhandled: boom-exception"),
        ("py", "log", "ERROR realtime._async.client: fault: boom-log"),
    ],
)
async def test_an_undeclared_peer_error_fails(kind: str, how: str, shown: str) -> None:
    pool = PeerPool()
    try:
        await fault(pool, kind, how=how, text=f"boom-{how}")
    finally:
        with pytest.raises(PeerError) as raised:
            await pool.close()
    assert "1 error(s) reported by an official client that the test did not declare" in str(
        raised.value
    )
    assert shown in str(raised.value)


async def test_a_declared_peer_error_passes_and_is_recorded() -> None:
    pool = PeerPool()
    [declared] = pool.expect_errors(r"fault: boom-\w+", kind="py")
    try:
        await fault(pool, "py", text="boom-declared")
    finally:
        await pool.close()
    assert declared.seen == ["ERROR realtime._async.client: fault: boom-declared"]
    assert pool.missing_errors() == []


async def test_a_declaration_for_another_kind_does_not_cover_the_error() -> None:
    pool = PeerPool()
    pool.expect_errors("boom", kind="py")
    try:
        await fault(pool, "js", how="console", text="boom-js")
    finally:
        with pytest.raises(PeerError):
            await pool.close()


async def test_a_declared_error_that_never_came_is_reported() -> None:
    pool = PeerPool()
    pool.expect_errors("never")
    pool.expect_errors("maybe", optional=True)
    await pool.js()
    await pool.close()
    assert pool.missing_errors() == ["expected a peer error matching 'never', none came"]


@pytest.mark.expect_peer_errors(r"fault: boom-marked")
async def test_the_marker_declares_for_the_fixture(peers: PeerPool) -> None:
    await fault(peers, "js", how="console", text="boom-marked")
