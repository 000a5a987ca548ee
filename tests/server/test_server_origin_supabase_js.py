"""Issue #10 item 3 with the official client: supabase-js in a web app served from another
localhost port (its websocket carries that page's Origin, as a browser's does) keeps working;
the same program on a foreign origin is refused at the handshake."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from typing import Any

from peers import JS_DIR, js_command

from inspector.server import RealtimeServer
from inspector.server.notes import HandshakeRefused

#: supabase-js as a page on PAGE_ORIGIN would run it: the `ws` transport sends that Origin.
PROGRAM = """
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
const origin = process.env.PAGE_ORIGIN
class PageSocket extends WebSocket {
  constructor(url, protocols) { super(url, protocols, { origin }) }
}
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\\n')
const supabase = createClient(process.env.SUPABASE_URL, process.env.SUPABASE_ANON_KEY, {
  realtime: { transport: PageSocket },
  auth: { persistSession: false, autoRefreshToken: false },
})
const channel = supabase.channel('room-1', { config: { broadcast: { self: true, ack: true } } })
channel
  .on('broadcast', { event: '*' }, (m) => out({ ev: 'received', event: m.event }))
  .subscribe(async (status, err) => {
    out({ ev: 'status', status, error: err ? err.message : null })
    if (status === 'SUBSCRIBED') {
      out({ ev: 'sent', result: await channel.send({ type: 'broadcast', event: 'hello', payload: {} }) })
    }
  })
"""


async def _page(server: RealtimeServer, origin: str) -> asyncio.subprocess.Process:
    node = js_command()[0]
    env = {
        **os.environ,
        "PAGE_ORIGIN": origin,
        "SUPABASE_URL": server.url,
        "SUPABASE_ANON_KEY": server.anon_key,
    }
    return await asyncio.create_subprocess_exec(
        node,
        "--input-type=module",
        "-e",
        PROGRAM,
        cwd=JS_DIR,  # resolves @supabase/supabase-js and ws from its node_modules
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def _until(proc: asyncio.subprocess.Process, *evs: str) -> list[dict[str, Any]]:
    """What the program printed, up to the moment every one of ``evs`` was seen."""
    assert proc.stdout is not None
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while True:
            line = await proc.stdout.readline()
            assert line, f"the program ended: {seen}"
            seen.append(json.loads(line))
            if set(evs) <= {e["ev"] for e in seen}:
                return seen


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


async def test_a_page_on_another_localhost_port_keeps_working(server: RealtimeServer) -> None:
    proc = await _page(server, "http://localhost:3000")
    try:
        seen = await _until(proc, "received", "sent")
    finally:
        await _stop(proc)
    assert {"ev": "status", "status": "SUBSCRIBED", "error": None} in seen
    assert {"ev": "sent", "result": "ok"} in seen
    assert {"ev": "received", "event": "hello"} in seen


async def test_a_page_on_a_foreign_origin_is_refused(server: RealtimeServer) -> None:
    mark = server.events.mark()
    proc = await _page(server, "https://evil.example")
    try:
        refused = await server.events.wait_for(
            lambda r: isinstance(r.event, HandshakeRefused), timeout=20, after=mark
        )
    finally:
        await _stop(proc)
    assert refused.event == HandshakeRefused("/realtime/v1/websocket", 403, "Origin not allowed")
    assert server.sockets == []
    assert server.hub.channels() == {}
