"""How long the authorization matrix takes (issue #13 §4): identities x channels against the
local server with the rules of tests/authz_helpers.py, a service-role observer, ``--wait``
as given. Prints a table; never pass/fail.

    .venv/bin/python benchmarks/authz_matrix.py [--wait 2] [--runs 3]

Each row: identities, channels (half private), cells, wall time of ``AuthzEngine.run()`` per
run, and the sockets opened (identities x channels + the observer's per channel).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from authz_helpers import RULES_TOML

from inspector.client import ClientSettings
from inspector.client.authz import (
    AuthzEngine,
    ClientObserver,
    ProbeChannel,
    ProbeIdentity,
)
from inspector.protocol.jwt import sign
from inspector.server import RealtimeServer, ServerConfig


async def one(server: RealtimeServer, n_ids: int, n_channels: int, wait: float) -> float:
    ids = [ProbeIdentity("anon", ClientSettings(server.url, server.anon_key))]
    for i in range(1, n_ids):
        token = sign(
            {"role": "authenticated", "sub": f"u{i}", "exp": int(time.time()) + 600},
            server.config.jwt_secret,
        )
        ids.append(
            ProbeIdentity(
                f"user{i}", ClientSettings(server.url, server.anon_key, access_token=token)
            )
        )
    names = ["team-news", "lobby", "dm-alice", "inbox", "open-1", "open-2", "open-3", "open-4"]
    channels = [ProbeChannel(n, not n.startswith("open")) for n in names[:n_channels]]
    observer = ClientObserver("admin", ClientSettings(server.url, server.service_role_key))
    t0 = time.perf_counter()
    try:
        await AuthzEngine(ids, channels, observer=observer, wait=wait).run()
    finally:
        await observer.close()
    return time.perf_counter() - t0


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wait", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.toml"
        rules.write_text(RULES_TOML)
        async with RealtimeServer(ServerConfig(port=0, rules=str(rules))) as server:
            print(f"wait {args.wait:g} s, {args.runs} runs each")
            print("| identities | channels | cells | sockets | seconds per run |")
            print("|---|---|---|---|---|")
            for n_ids, n_channels in ((2, 2), (4, 4), (4, 8), (8, 8)):
                times = [await one(server, n_ids, n_channels, args.wait) for _ in range(args.runs)]
                cells = n_ids * n_channels * 7
                sockets = (n_ids + 1) * n_channels
                text = " / ".join(f"{t:.2f}" for t in times)
                print(f"| {n_ids} | {n_channels} | {cells} | {sockets} | {text} |")


if __name__ == "__main__":
    asyncio.run(main())
