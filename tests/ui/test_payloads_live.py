"""Every kind of payload through the real window, controller and local server (issue #5 §2, §7).

- binary sent by realtime-js shows as ``<binary, N bytes>`` with the right bytes, as hexdump;
  the composer sends bytes over the websocket and REST and realtime-js gets the same bytes;
- 1.5 MB JSON and binary payloads arrive, preview cut, the detail formatted a piece at a time;
- *Copy as CLI command* and *Copy as curl* are run for real (bash, with the key in the
  environment only) and their broadcasts arrive in the tab.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import sys
from pathlib import Path

import httpx
import pytest
from gui_helpers import WindowOptions, js_subscribed, save_screenshot, until
from peers import Peer, PeerPool

from inspector.client import ChannelConfig, ClientSettings, RealtimeClient
from inspector.server import RealtimeServer
from inspector.store import ChannelOptions, Direction, MessageRecord, PayloadFormat, Profile
from inspector.store import Transport as Via
from inspector.store.messages.payload_views import HEX_CHUNK, TEXT_CHUNK, hexdump
from inspector.ui.main_window import MainWindow
from inspector.ui.messages.message_table_model import COL_PAYLOAD
from inspector.ui.messages.payload_views import TREE

pytestmark = [pytest.mark.gui, pytest.mark.interop]

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def window_options() -> WindowOptions:
    return WindowOptions(size=(1280, 800))


async def connect_and_join(
    window: MainWindow, server: RealtimeServer, *tabs: ChannelOptions
) -> None:
    window.add_session_profile(Profile("live", "Local", server.url), server.anon_key)
    assert window.connect_current() is None
    for options in tabs:
        assert window.join(options) is None
    c = window.controller
    await until(
        lambda: c.connected and all(s.status.state.value == "joined" for s in c.channels.values()),
        what="connected and joined",
    )


async def js_on(peers: PeerPool, server: RealtimeServer, name: str) -> Peer:
    return await js_subscribed(peers, server, name, listen={"broadcast": ["*"]})


def incoming(window: MainWindow, name: str, event: str) -> list[MessageRecord]:
    log = window.controller.channels[name].log
    return [r for r in log if r.direction is Direction.IN and r.event == event]


async def row_count(window: MainWindow, name: str, event: str, n: int) -> MessageRecord:
    await until(lambda: len(incoming(window, name, event)) >= n, what=f"{n} × {event}")
    panel = window.panels[name]
    await until(lambda: not panel.model.has_pending(), what="table flushed")
    return incoming(window, name, event)[n - 1]


def select(window: MainWindow, name: str, record: MessageRecord) -> None:
    panel = window.panels[name]
    row = panel.proxy.row_of(record)
    assert row is not None
    panel.table.selectRow(row)
    assert panel.detail.record is record


async def test_binary_from_realtime_js_and_from_the_composer(
    window: MainWindow, server: RealtimeServer, peers: PeerPool
) -> None:
    await connect_and_join(window, server, ChannelOptions("bin", broadcast_self=True, ack=True))
    js = await js_on(peers, server, "bin")
    sent = bytes([0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF]) + b"Hi!"
    assert await js.call("send", channel="a", event="blob", payload={"__bytes__": list(sent)})
    row = await row_count(window, "bin", "blob", 1)
    assert row.format is PayloadFormat.BINARY
    assert row.payload == sent
    panel = window.panels["bin"]
    shown = panel.model.data(panel.model.index(panel.model.row_of(row) or 0, COL_PAYLOAD))
    assert shown == "<binary, 10 bytes>"
    select(window, "bin", row)
    width = panel.detail.views._hex_width
    assert panel.detail.text.toPlainText() == hexdump(sent, width=width).text
    assert panel.detail.text.toPlainText().startswith("00000000  00 01 02 7f 80 fe ff 48")

    # The composer sends bytes over the websocket: realtime-js gets an ArrayBuffer, the self
    # echo comes back as binary, the ack turns the row ok.
    composer = panel.composer
    composer.event_edit.setText("from-inspector")
    composer.set_binary(True)
    composer.binary_input.edit.setPlainText("de ad be ef 00")
    composer.send_button.click()
    got = await js.expect(ev="broadcast", channel="a")
    assert got["payload"]["event"] == "from-inspector"
    assert got["payload"]["payload"] == {"__bytes__": [0xDE, 0xAD, 0xBE, 0xEF, 0]}
    echo = await row_count(window, "bin", "from-inspector", 1)
    assert (echo.format, echo.payload) == (PayloadFormat.BINARY, b"\xde\xad\xbe\xef\x00")
    out = [r for r in window.controller.channels["bin"].log if r.direction is Direction.OUT]
    await until(lambda: out[-1].status_text().startswith("ok "), what="ack ok")
    assert out[-1].format is PayloadFormat.BINARY

    # And over REST (application/octet-stream, §6.2).
    composer.set_transport(Via.REST)
    composer.binary_input.set_format("base64")
    composer.binary_input.edit.setPlainText(base64.b64encode(b"\x01rest\x02").decode())
    composer.send_button.click()
    got = await js.expect(ev="broadcast", channel="a")
    assert got["payload"]["payload"] == {"__bytes__": list(b"\x01rest\x02")}
    log = window.controller.channels["bin"].log
    await until(lambda: any(r.status_text().startswith("REST 202") for r in log), what="REST 202")

    # The screenshot: a mixed binary frame from realtime-js in the hex view.
    frame = b"RTI\x01\x00\x2a" + bytes(range(0, 48)) + b"temperature=21.5;humidity=40%"
    frame += bytes((i * 37) % 256 for i in range(96))
    assert await js.call("send", channel="a", event="sensor", payload={"__bytes__": list(frame)})
    shot = await row_count(window, "bin", "sensor", 1)
    composer.set_transport(Via.WEBSOCKET)
    composer.binary_input.edit.setPlainText("")
    composer.event_edit.setText("sensor")
    panel.h_splitter.setSizes([600, 660, 0])
    select(window, "bin", shot)
    assert panel.detail.views._hex_width == 16
    save_screenshot(window, "binary-detail")


async def test_megabyte_payloads_arrive_and_are_shown_a_piece_at_a_time(
    window: MainWindow, server: RealtimeServer
) -> None:
    await connect_and_join(window, server, ChannelOptions("big"))
    sender = RealtimeClient(ClientSettings(server.url, server.anon_key))
    value = {"rows": [{"i": i, "text": "payload " * 6} for i in range(24_000)]}
    blob = os.urandom(1_500_000)
    try:
        await sender.connect()
        await sender.join(ChannelConfig("big"))
        await sender.send("big", "json", value)
        await sender.send("big", "bytes", blob, binary=True)
        await sender.send("big", "small", {"after": True})
    finally:
        await sender.close()
    json_row = await row_count(window, "big", "json", 1)
    bin_row = await row_count(window, "big", "bytes", 1)
    await row_count(window, "big", "small", 1)
    assert json_row.size > 1_500_000
    assert json_row.payload_json() == value
    assert bin_row.payload == blob
    panel = window.panels["big"]
    for record in (json_row, bin_row):
        row = panel.model.row_of(record)
        assert row is not None
        assert len(panel.model.data(panel.model.index(row, COL_PAYLOAD))) <= 160
    select(window, "big", json_row)
    primary = panel.detail.views.primary
    assert len(panel.detail.text.toPlainText()) == TEXT_CHUNK
    assert primary.more_bar.isVisibleTo(panel)
    panel.detail.views.setCurrentIndex(TREE)
    assert panel.detail.views.tree.tree_model.rowCount() == 1
    select(window, "big", bin_row)
    panel.detail.views.setCurrentIndex(0)
    per_line = panel.detail.views._hex_width
    assert len(panel.detail.text.toPlainText().splitlines()) == HEX_CHUNK // per_line
    primary.show_more()
    assert len(panel.detail.text.toPlainText().splitlines()) == 2 * HEX_CHUNK // per_line


async def run_shell(command: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")


def shell_env(server: RealtimeServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SUPABASE_PUBLISHABLE_KEY"] = server.anon_key
    return env


async def run_curl(command: str, env: dict[str, str]) -> str:
    """Run the copied curl command with the real curl (bootstrap.sh installs it)."""
    assert shutil.which("curl") is not None, (
        "curl is not installed: the copied curl command cannot be run "
        "(apt-get install curl; `bash scripts/bootstrap.sh setup` does it as root)"
    )
    code, out = await run_shell(command, env)
    assert code == 0, out
    return out


async def test_copied_cli_and_curl_commands_send_for_real(
    window: MainWindow, server: RealtimeServer, peers: PeerPool
) -> None:
    await connect_and_join(window, server, ChannelOptions("cmds", ack=True))
    js = await js_on(peers, server, "cmds")
    env = shell_env(server)
    detail = window.panels["cmds"].detail

    assert await js.call("send", channel="a", event="hello", payload={"n": 1, "s": "it's"})
    row = await row_count(window, "cmds", "hello", 1)
    select(window, "cmds", row)
    cli = detail.copy_cli()
    assert cli is not None
    assert server.anon_key not in cli
    code, out = await run_shell(cli, env)
    assert code == 0, out
    summary = json.loads(out.strip().splitlines()[-1])["summary"]
    assert (summary["ok"], summary["error"]) == (1, 0)
    again = await row_count(window, "cmds", "hello", 2)
    assert again.payload_json() == {"n": 1, "s": "it's"}

    curl = detail.copy_curl()
    assert curl is not None
    assert server.anon_key not in curl
    assert "HTTP 202" in await run_curl(curl, env)
    third = await row_count(window, "cmds", "hello", 3)
    assert third.payload_json() == {"n": 1, "s": "it's"}

    data = bytes(range(256))
    assert await js.call("send", channel="a", event="bytes", payload={"__bytes__": list(data)})
    select(window, "cmds", await row_count(window, "cmds", "bytes", 1))
    code, out = await run_shell(detail.copy_cli() or "", env)
    assert code == 0, out
    assert (await row_count(window, "cmds", "bytes", 2)).payload == data
    assert "HTTP 202" in await run_curl(detail.copy_curl() or "", env)
    copied = await row_count(window, "cmds", "bytes", 3)
    assert (copied.format, copied.payload) == (PayloadFormat.BINARY, data)
    # Without the key in the environment the CLI refuses with a clear reason (exit 2).
    no_key = {k: v for k, v in env.items() if k != "SUPABASE_PUBLISHABLE_KEY"}
    code, out = await run_shell(cli, no_key)
    assert code == 2
    assert "no API key" in out


async def test_meta_id_of_a_rest_batch_message_is_spelled_out(
    window: MainWindow, server: RealtimeServer
) -> None:
    await connect_and_join(window, server, ChannelOptions("meta"))
    message = {"topic": "meta", "event": "stored", "payload": {"n": 7}, "id": "3f2a-77"}
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{server.url}/realtime/v1/api/broadcast",
            json={"messages": [message]},
            headers={"apikey": server.anon_key},
        )
    assert response.status_code == 202
    row = await row_count(window, "meta", "stored", 1)
    assert row.meta_json() == {"id": "3f2a-77"}
    select(window, "meta", row)
    detail = window.panels["meta"].detail
    assert detail.meta_label.isVisibleTo(detail)
    assert detail.meta_label.text() == "meta · id 3f2a-77"
    assert detail.text.toPlainText() == '{\n  "n": 7\n}'
