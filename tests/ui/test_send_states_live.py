"""The window's error and timed-out send states against real servers, no fakes (issue 10 #23).

A send from the composer of a real window over the real controller and client:

- over the websocket with ``ack`` on, to the local server told never to ack (its fault
  injection, docs/server.md): the row goes "sent", then "timed out";
- over REST, to a loopback server that accepts the request and never answers: "timed out";
- over REST with a forged key: the server's 401 answer, as an error;
- over REST to a server that was stopped: an error saying it cannot be reached, not "timed out";
- over REST to a host whose name holds "time" and does not answer at all: an error, not "timed
  out" (the window used to look for "time" in the error text instead of the result's
  ``timed_out``).

The push and REST timeout is the Preferences value, set to 0.5 s here.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from gui_helpers import until

from inspector.protocol import jwt
from inspector.server import RealtimeServer
from inspector.store import (
    ChannelOptions,
    MessageRecord,
    Preferences,
    Profile,
    SendState,
    TabState,
    Transport,
)
from inspector.ui.controller import InspectorController
from inspector.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui]

TIMEOUT_S = 0.5
FINAL = (SendState.OK, SendState.ERROR, SendState.TIMED_OUT)


async def connect(window: MainWindow, url: str, key: str, channel: ChannelOptions) -> None:
    controller = window.controller
    assert isinstance(controller, InspectorController)
    controller.set_preferences(Preferences(push_timeout_s=TIMEOUT_S))
    window.add_session_profile(Profile("x", "Local", url), key)
    window.connect_current()
    window.join(channel)
    await until(
        lambda: controller.channels[channel.name].status.state is TabState.JOINED, what="joined"
    )


async def send(window: MainWindow, name: str, transport: Transport) -> MessageRecord:
    """Send ``{"n": 1}`` from the tab's composer; the sent row once its state is final."""
    composer = window.panels[name].composer
    composer.transport_combo.setCurrentIndex(composer.transport_combo.findData(transport))
    composer.event_edit.setText("probe")
    composer.payload_edit.setPlainText('{"n": 1}')
    assert composer.send_button.isEnabled()
    log = window.controller.channels[name].log
    before = len(log)
    composer.send_button.click()
    await until(lambda: len(log) > before, what="the sent row")
    record = next(r for r in log if r.send is not None and r.event == "probe")
    assert record.send is not None
    await until(
        lambda: record.send is not None and record.send.state in FINAL, what="a final state"
    )
    return record


@contextlib.asynccontextmanager
async def silent_http() -> AsyncIterator[str]:
    """A loopback server that accepts connections and reads, but never answers: its URL."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def point_rest_at(window: MainWindow, base_url: str) -> None:
    """Send the client's REST calls to ``base_url`` (the websocket stays on the real server)."""
    client = window.controller.client
    assert client is not None
    client.rest.rest_base = base_url + "/api"


async def test_an_ack_that_never_comes_times_out(
    window: MainWindow, server: RealtimeServer
) -> None:
    await connect(window, server.url, server.anon_key, ChannelOptions("acks", ack=True))
    server.faults.mute_acks = True
    record = await send(window, "acks", Transport.WEBSOCKET)
    assert record.send is not None
    assert record.send.state is SendState.TIMED_OUT
    assert record.status_text().startswith("timed out")


async def test_a_rest_answer_that_never_comes_times_out(
    window: MainWindow, server: RealtimeServer
) -> None:
    await connect(window, server.url, server.anon_key, ChannelOptions("rest"))
    async with silent_http() as url:
        point_rest_at(window, url)
        record = await send(window, "rest", Transport.REST)
    assert record.send is not None
    assert record.send.state is SendState.TIMED_OUT
    assert record.send.http_status is None


async def test_a_forged_key_is_an_error_with_the_servers_reason(
    window: MainWindow, server: RealtimeServer
) -> None:
    await connect(window, server.url, server.anon_key, ChannelOptions("forged"))
    forged = jwt.sign({"role": "service_role", "exp": jwt.CLI_DEMO_EXP}, "not-the-secret" * 3)
    client = window.controller.client
    assert client is not None
    client.rest.access_token = forged
    record = await send(window, "forged", Transport.REST)
    assert record.send is not None
    assert record.send.state is SendState.ERROR
    assert record.send.http_status == 401
    assert record.send.error == "HTTP 401: Unauthorized"
    assert forged not in record.status_text()


async def test_a_stopped_rest_server_is_an_error_not_a_timeout(
    window: MainWindow, server: RealtimeServer
) -> None:
    await connect(window, server.url, server.anon_key, ChannelOptions("gone"))
    point_rest_at(window, f"http://127.0.0.1:{closed_port()}")
    record = await send(window, "gone", Transport.REST)
    assert record.send is not None
    assert record.send.state is SendState.ERROR, record.status_text()
    assert record.send.error is not None
    assert "cannot reach" in record.send.error


async def test_an_unreachable_host_named_time_is_an_error_not_a_timeout(
    window: MainWindow, server: RealtimeServer
) -> None:
    """The error text names the host, ``downtime.localhost``: the old text check read it as a
    timeout."""
    await connect(window, server.url, server.anon_key, ChannelOptions("named"))
    point_rest_at(window, f"http://downtime.localhost:{closed_port()}")
    record = await send(window, "named", Transport.REST)
    assert record.send is not None
    assert record.send.error is not None
    assert "downtime.localhost" in record.send.error
    assert record.send.state is SendState.ERROR, record.status_text()
