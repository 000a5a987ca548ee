"""``realtime-inspector har`` (issue #15 item 1) through a subprocess: the events of a Chrome or
Firefox capture as ``listen`` lines, secrets redacted, bad files answered with exit 1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from cli_helpers import cli_env, joined, read_until, run, start
from har_capture import CHROME, FAKE_JWT, FIREFOX, FIXTURES, build_har, capture

from inspector.server import RealtimeServer
from inspector.store.transfer.export import Importer
from inspector.store.transfer.har import read_har


async def test_har_prints_the_events_as_listen_lines() -> None:
    code, lines, err = await run("har", str(FIXTURES / CHROME), env=cli_env())
    assert code == 0, err
    expected = [e.line() for e in read_har(FIXTURES / CHROME).events]
    assert lines == json.loads(json.dumps(expected))
    assert "15 events in 3 channel(s)" in err
    assert "1 other websocket left out" in err
    blob = next(x for x in lines if x["event"] == "blob" and x["direction"] == "in")
    assert blob["binary"] is True
    assert blob["payload"] == {"$binary": "AAFiaW5hcnn/"}


async def test_har_redacts_the_captured_key_and_token() -> None:
    for name in (CHROME, FIREFOX):
        code, lines, err = await run("har", str(FIXTURES / name), env=cli_env())
        assert code == 0, err
        text = json.dumps(lines) + err
        assert FAKE_JWT.split(".")[1] not in text
        assert "eyJhbGci" not in text


async def test_har_channel_option_and_import_back(tmp_path: Path) -> None:
    code, lines, err = await run(
        "har", str(FIXTURES / FIREFOX), "--channel", "realtime:lobby", env=cli_env()
    )
    assert code == 0, err
    assert {x["channel"] for x in lines} == {"lobby"}
    importer = Importer()
    for line in lines:
        importer.feed(json.dumps(line))
    assert importer.result.error_count == 0
    assert [r.event for _, r in importer.result.records] == ["announce", "announce"]


async def test_har_bad_files_exit_1_with_a_message(tmp_path: Path) -> None:
    cut = tmp_path / "cut.har"
    cut.write_text((FIXTURES / CHROME).read_text()[:5000])
    plain = tmp_path / "page.har"
    plain.write_text(json.dumps({"log": {"entries": []}}))
    for path, words in (
        (cut, "cut short"),
        (plain, "no Realtime websocket"),
        (tmp_path / "missing.har", "not a regular file"),
    ):
        code, lines, err = await run("har", str(path), env=cli_env())
        assert (code, lines) == (1, []), err
        assert words in err
        assert "Traceback" not in err


async def test_har_lines_are_what_listen_printed_for_the_same_traffic(
    server: RealtimeServer, tmp_path: Path
) -> None:
    """listen on room-1 while a browser-like client runs a session; the capture of that
    client, as a HAR, prints the same broadcast lines (all but the time)."""
    proc = await start(
        "listen", "--channel", "room-1", "--count", "4", "--timeout", "20", env=cli_env(server)
    )
    await read_until(proc, joined)
    frames = await capture(server, "2.0.0")
    assert proc.stdout is not None
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    heard = [json.loads(x) for x in out.decode().splitlines()]
    heard = [x for x in heard if x["kind"] == "broadcast"]
    har = tmp_path / "capture.har"
    url = f"{server.ws_url}?apikey={FAKE_JWT}&vsn=2.0.0"
    har.write_text(json.dumps(build_har([(url, frames)], firefox=False)))
    code, lines, err2 = await run("har", str(har), "--channel", "room-1", env=cli_env())
    assert code == 0, err2
    received = [x for x in lines if x["kind"] == "broadcast" and x["direction"] == "in"]

    def same(line: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in line.items() if k not in ("time", "direction")}

    assert [same(x) for x in received] == [same(x) for x in heard]
    assert len(heard) == 4
