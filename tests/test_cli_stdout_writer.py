"""The CLI's stdout writer over a real pipe (issue #10 item 8): a reader that stops reading
never blocks the loop; past the bound lines are dropped and counted, stderr says so once,
and a ``stdout_overflow`` line gives the count when the reader catches up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

import pytest

from inspector.commands import client_args
from inspector.commands.client_args import Output

LIMIT = 200_000
#: A reader that takes nothing for this long fails the test (a bound, not a measurement).
TIMEOUT = 20.0


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def piped_stdout() -> Iterator[tuple[int, IO[str]]]:
    """A real pipe: (read end, a text file on the write end) for the test to make sys.stdout
    (inside the test: capture sets sys.stdout again when the test starts)."""
    read_fd, write_fd = os.pipe()
    with open(write_fd, "w", encoding="utf-8") as stdout:
        yield read_fd, stdout
    with contextlib.suppress(OSError):
        os.close(read_fd)


async def test_lines_past_the_bound_are_dropped_counted_and_reported(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    piped_stdout: tuple[int, IO[str]],
) -> None:
    read_fd, stdout = piped_stdout
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(client_args, "STDOUT_LIMIT", LIMIT)
    out = Output("listen")
    filler = "z" * 1000
    sent = 0
    while out.dropped_total < 50:  # nobody reads: the pipe fills, then the bound is reached
        out.line({"i": sent, "kind": "broadcast", "payload": filler})
        out.flush()  # returns at once: a blocking write would hang the test here
        sent += 1
        assert sent < 10_000, "lines were never dropped"
    assert "stdout is not being read" in capsys.readouterr().err
    loop = asyncio.get_running_loop()
    reader = loop.run_in_executor(None, _read_all, read_fd)
    try:
        await out.drain(stall=TIMEOUT)  # the reader takes what was queued
        for i in range(sent, sent + 5):
            out.line({"i": i, "kind": "broadcast", "payload": filler})
        out.flush()
        await out.drain(stall=TIMEOUT)
    finally:
        stdout.close()
    data = await asyncio.wait_for(reader, TIMEOUT)
    lines: list[dict[str, Any]] = [json.loads(x) for x in data.decode().splitlines()]
    # Every gap is announced, in place, by a stdout_overflow line with its exact size (the
    # writer may catch up a little and fall behind again: then there are several).
    overflows, expected, gap = 0, 0, 0
    for line in lines:
        if line.get("event") == "stdout_overflow":
            overflows += 1
            gap += line["payload"]["dropped"]
            continue
        assert line["i"] == expected + gap, (line["i"], expected, gap)
        expected, gap = line["i"] + 1, 0
    assert gap == 0
    assert overflows >= 1
    assert expected == sent + 5  # the lines after the last gap all came
    assert sum(1 for x in lines if "i" in x) == sent + 5 - out.dropped_total
    assert "lines were dropped" in capsys.readouterr().err
