"""The load workloads as a Locust module: ``locust -f inspector/loadtest/locustfile.py BroadcastUser``.

Each User class is one workload (:data:`inspector.client.load.PRESETS`); each Locust user is
one virtual user (VU): one websocket joining the channels
:func:`~inspector.client.load.channel_plan` gives its index. Every connection, join, send and
delivery is a Locust request event, so the web UI, ``--csv`` and master/worker distribution
work unchanged:

=============  ==================  ===========================================  ==============
request_type   name                response_time                                response_length
=============  ==================  ===========================================  ==============
``CONNECT``    ``websocket``       websocket open, ms                           0
``JOIN``       channel kind        join reply, ms                               0
``SEND``       channel kind        ack round trip, ms (0 without ``ack``)       payload bytes
``RECV``       channel kind        end-to-end latency, ms (sender's timestamp)  message bytes
``ERROR``      ``vu``              0 (always a failure, by reason)              0
=============  ==================  ===========================================  ==============

The channel kind is the workload layout's label (``echo``, ``group``, ``fanout``, ``rest``,
``custom``). Failed connects, joins and sends are failures with their reason.

How a run goes (docs/load.md, "Many machines: Locust"):

1. The master gives the run an id (the channel names' middle part), the VU count (``-u``), the
   number of workers; workers get them with Locust's spawn messages.
2. Worker ``w`` of ``W`` gives its ``k``-th user VU index ``k*W + w``: indexes are dense, so
   a group channel has members on several machines and every process agrees on the plan.
3. Each user's VU connects and joins. When every worker has spawned its users and all of them
   have joined (or given up), the master tells every worker to start sending (a barrier: a
   message sent before a channel's members are in would count as lost). Locust's ``-r`` is
   the new-connection rate.
4. With ``-t``, sending stops ``drain`` seconds (``--ri-drain``, default 3) plus one second
   before the end, so what is in flight arrives before the sockets close; stopping from the
   web UI stops sending everywhere and drains before closing.
5. Lost, duplicated and out-of-order messages are counted per channel by sequence: a sender's
   process counts the deliveries each send expects, receivers' processes count what arrived.
   Workers send their :class:`~inspector.client.load.LoadStats` (histograms encoded) with
   every Locust report and once more when they stop; the master merges them exactly, prints
   the summary when it quits and writes ``--ri-report`` (JSON; each worker also writes its
   own ``<stem>.worker-<index>.json``) and ``--ri-csv`` (metric,value). The master's web UI
   serves the merged result at ``/realtime-inspector/report``.

Every VU of a process runs on one asyncio loop in one OS thread (:mod:`.vu_host`); this
module's greenlets hand it commands through ``call_soon_threadsafe`` and drain its event
queue. Only this module imports Locust; the window, the CLI and the bundle never do.
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import json
import logging
import math
import os
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, Final

import gevent
import gevent.event
from locust import User, constant, events, task
from locust.env import Environment
from locust.runners import (
    STATE_CLEANUP,
    STATE_STOPPED,
    STATE_STOPPING,
    LocalRunner,
    MasterRunner,
    Runner,
    WorkerRunner,
)

from inspector.client.errors import InvalidSettings
from inspector.client.load import LoadStats, Workload, preset
from inspector.client.load.report import rows
from inspector.client.load.safety import is_local, safety_lines
from inspector.client.load.workloads import VIAS
from inspector.client.settings import ClientSettings
from inspector.loadtest import vu_host
from inspector.protocol.jwt import sign
from inspector.protocol.redact import redact_text

log = logging.getLogger("inspector.loadtest")

#: Custom messages between master and workers.
MSG_READY: Final = "ri_ready"
MSG_START: Final = "ri_start"
MSG_STATS: Final = "ri_stats"
#: Seconds between the end of the drain and Locust's ``-t`` limit.
END_MARGIN_S: Final = 1.0
#: The key in Locust's worker reports that carries a worker's LoadStats.
REPORT_KEY: Final = "realtime_inspector_load"


class RealtimeFailure(Exception):
    """A failed connect, join or send, or a VU error; its text is the reason."""


# ------------------------------------------------------------------------------ options


def _options(parser: Any) -> None:
    # The project URL is Locust's --host (or $SUPABASE_URL).
    # Credentials stay out of the web UI: Locust writes every shown option's value into the
    # page (is_secret only masks the field), readable by anyone who reaches port 8089. They
    # still travel to the workers with the parsed options.
    group = parser
    group.add_argument(
        "--ri-key",
        env_var="SUPABASE_ANON_KEY",
        default="",
        include_in_web_ui=False,
        help="API key (anon/publishable) [$SUPABASE_ANON_KEY]",
    )
    group.add_argument(
        "--ri-token",
        env_var="RI_LOAD_TOKEN",
        default="",
        include_in_web_ui=False,
        help="one user access token for every VU (private channels) [$RI_LOAD_TOKEN]",
    )
    group.add_argument(
        "--ri-jwt-secret",
        env_var="RI_LOAD_JWT_SECRET",
        default="",
        include_in_web_ui=False,
        help="mint a user token per VU with this HS256 secret (the auth workload against "
        "your own or the local server) [$RI_LOAD_JWT_SECRET]",
    )
    group.add_argument("--ri-vsn", env_var="RI_LOAD_VSN", default="2.0.0", help="protocol")
    group.add_argument(
        "--ri-vus",
        env_var="RI_LOAD_VUS",
        type=int,
        default=0,
        help="VUs the channel plan is made for (default: -u)",
    )
    group.add_argument(
        "--ri-rate",
        env_var="RI_LOAD_RATE",
        type=float,
        default=None,
        help="messages/s each VU sends into each channel",
    )
    group.add_argument(
        "--ri-payload",
        env_var="RI_LOAD_PAYLOAD",
        type=int,
        default=None,
        help="payload size in bytes (JSON text)",
    )
    group.add_argument(
        "--ri-channels", env_var="RI_LOAD_CHANNELS", type=int, default=None, help="channels per VU"
    )
    group.add_argument(
        "--ri-users-per-channel",
        env_var="RI_LOAD_USERS_PER_CHANNEL",
        type=int,
        default=None,
        help="VUs per channel",
    )
    group.add_argument(
        "--ri-via",
        env_var="RI_LOAD_VIA",
        choices=VIAS,
        default=None,
        help="send over the websocket or REST",
    )
    group.add_argument(
        "--ri-template",
        env_var="RI_LOAD_TEMPLATE",
        default=None,
        help="payload template (JSON text with {{…}} variables)",
    )
    group.add_argument("--ri-event", env_var="RI_LOAD_EVENT", default=None, help="event name")
    for flag, what in (
        ("ack", "wait for the server's ack of each send"),
        ("private", "private channels"),
        ("presence", "track presence on every channel"),
    ):
        group.add_argument(
            f"--ri-{flag}",
            env_var=f"RI_LOAD_{flag.upper()}",
            choices=("", "on", "off"),
            default="",
            help=what,
        )
    group.add_argument(
        "--ri-drain",
        env_var="RI_LOAD_DRAIN",
        type=float,
        default=None,
        help="seconds between the last send and closing (default 3)",
    )
    group.add_argument(
        "--ri-run-id",
        env_var="RI_LOAD_RUN_ID",
        default="",
        help="goes into the channel names (default: a new one per run)",
    )
    group.add_argument(
        "--ri-report",
        env_var="RI_LOAD_REPORT",
        default="",
        help="write the merged result as JSON here (workers: "
        "<stem>.worker-<index>.json next to it)",
    )
    group.add_argument(
        "--ri-csv",
        env_var="RI_LOAD_CSV",
        default="",
        help="write the merged figures as CSV (metric,value) here",
    )
    group.add_argument(
        "--ri-yes",
        env_var="RI_LOAD_YES",
        action="store_true",
        default=False,
        help="headless against a server that is not on this machine: run (the expected rates "
        "and the quotas they go over are logged first)",
    )
    # Set by the master for its workers, not by hand.
    group.add_argument(
        "--ri-worker-count",
        type=int,
        default=0,
        include_in_web_ui=False,
        help="(set by the master)",
    )


def _flag(value: str) -> bool | None:
    return {"on": True, "off": False}.get(value or "")


def workload_for(name: str, options: Any, vus: int) -> Workload:
    """The preset ``name`` with the ``--ri-*`` overrides (``ValueError`` for a bad one)."""
    overrides: dict[str, Any] = {"vus": max(vus, 1)}
    # Locust decides when users start (-r: new connections per second) and how long the run
    # lasts (-t); the workload says so (the safety text, the report).
    run_time = getattr(options, "run_time", None)
    if run_time:
        overrides["duration_s"] = float(run_time)
    spawn_rate = getattr(options, "spawn_rate", None)
    if spawn_rate:
        overrides["ramp_up_s"] = max(vus, 1) / float(spawn_rate)
        overrides["connect_rate"] = None
    if options.ri_run_id:
        overrides["run_id"] = options.ri_run_id
    for option, fld in (
        ("ri_rate", "send_rate"),
        ("ri_payload", "payload_bytes"),
        ("ri_channels", "channels"),
        ("ri_users_per_channel", "users_per_channel"),
        ("ri_via", "via"),
        ("ri_template", "template"),
        ("ri_event", "event"),
        ("ri_drain", "drain_s"),
    ):
        value = getattr(options, option, None)
        if value is not None:
            overrides[fld] = value
    for option, fld in (("ri_ack", "ack"), ("ri_private", "private"), ("ri_presence", "presence")):
        flag = _flag(getattr(options, option, ""))
        if flag is not None:
            overrides[fld] = flag
    return preset(name, **overrides)


# ------------------------------------------------------------------------------ the process


class _Process:
    """What one Locust process (worker or local) holds: its VUs' host, their indexes, the
    barrier, and on the master the workers' results."""

    def __init__(self, environment: Environment) -> None:
        self.env = environment
        self.host: vu_host.VuHost | None = None
        self.drainer: gevent.Greenlet | None = None
        self.free: list[int] = []
        self.next_slot = 0
        self.started = 0
        self.ready = 0
        self.done: dict[int, gevent.event.Event] = {}
        self.spawned = False
        self.ready_sent = False
        self.began = False
        self.class_name = ""
        self.workload: Workload | None = None
        self.settings: ClientSettings | None = None
        self.t0 = time.monotonic()
        # master
        self.ready_workers: set[str] = set()
        self.results: dict[str, dict[str, Any]] = {}
        self.fallback: gevent.Greenlet | None = None
        #: a worker's last result, kept after its loop closed (its own report file).
        self.last: dict[str, Any] | None = None

    # --------------------------------------------------------------- where this runs

    @property
    def runner(self) -> Runner | None:
        return self.env.runner

    @property
    def options(self) -> Any:
        return self.env.parsed_options

    def worker_index(self) -> int:
        runner = self.runner
        return max(runner.worker_index, 0) if isinstance(runner, WorkerRunner) else 0

    def worker_count(self) -> int:
        if isinstance(self.runner, WorkerRunner):
            return max(int(getattr(self.options, "ri_worker_count", 0) or 0), 1)
        return 1

    # --------------------------------------------------------------- VUs

    def _host(self) -> vu_host.VuHost:
        if self.host is None:
            drain = self.workload.drain_s if self.workload is not None else 3.0
            self.host = vu_host.VuHost(drain_s=drain)
            self.drainer = gevent.spawn(self._drain)
        return self.host

    def _config(self, user_class: type[LoadUser]) -> tuple[Workload, ClientSettings]:
        if self.workload is not None and self.settings is not None:
            if user_class.__name__ != self.class_name:
                raise RealtimeFailure(
                    f"one workload per run: {self.class_name} runs here, not "
                    f"{user_class.__name__} (name one User class on the command line)"
                )
            return self.workload, self.settings
        options = self.options
        vus = int(getattr(options, "ri_vus", 0) or 0) or int(options.num_users or 1)
        workload = workload_for(user_class.workload_name, options, vus)
        url = self.env.host or os.environ.get("SUPABASE_URL") or ""
        key = options.ri_key or os.environ.get("SUPABASE_ANON_KEY") or ""
        if not url or not key:
            raise RealtimeFailure(
                "give the project URL (--host or $SUPABASE_URL) and the API key "
                "(--ri-key or $SUPABASE_ANON_KEY)"
            )
        try:
            settings = ClientSettings(
                url,
                key,
                vsn=options.ri_vsn,
                access_token=options.ri_token or None,
                join_timeout=workload.connect_timeout_s,
                open_timeout=workload.connect_timeout_s,
            )
        except InvalidSettings as exc:
            raise RealtimeFailure(str(exc)) from exc
        self.workload, self.settings, self.class_name = workload, settings, user_class.__name__
        return workload, settings

    def start_vu(self, user_class: type[LoadUser]) -> int:
        """Start the VU of a new Locust user; its index."""
        workload, settings = self._config(user_class)
        slot = heapq.heappop(self.free) if self.free else self._new_slot()
        index = slot * self.worker_count() + self.worker_index()
        if index >= workload.vus:  # more users than the plan (the web UI raised -u)
            workload = replace(workload, vus=index + 1)
        claims: dict[str, Any] | None = None
        secret = self.options.ri_jwt_secret or os.environ.get("RI_LOAD_JWT_SECRET") or ""
        if secret:
            now = int(time.time())
            claims = {  # the claims `load --jwt-secret-env` mints
                "role": "authenticated",
                "aud": "authenticated",
                "sub": f"load-user-{index}",
                "iat": now,
                "exp": now + 24 * 3600,
            }
            settings = replace(settings, access_token=sign(claims, secret))
        self.done[index] = gevent.event.Event()
        self.started += 1
        self._host().start_vu(index, workload, settings, claims)
        return index

    def _new_slot(self) -> int:
        slot = self.next_slot
        self.next_slot += 1
        return slot

    def stop_vu(self, index: int) -> None:
        """Close the VU of a stopping user (after the drain) and wait for it, bounded."""
        host = self.host
        if host is None:
            return
        done = self.done.get(index)
        host.close_vu(index)
        if done is not None:
            drain = self.workload.drain_s if self.workload is not None else 3.0
            done.wait(timeout=drain + 10.0)
        self.done.pop(index, None)
        slot = (index - self.worker_index()) // self.worker_count()
        heapq.heappush(self.free, slot)
        self.started -= 1

    # --------------------------------------------------------------- events from the loop

    def _drain(self) -> None:
        fire = self.env.events.request.fire
        while True:
            host = self.host
            items = host.take(5000) if host is not None else []
            for item in items:
                kind = item[0]
                if kind == vu_host.READY:
                    self.ready += 1
                elif kind == vu_host.DONE:
                    self.ready = max(self.ready - 1, 0)
                    event = self.done.get(item[1])
                    if event is not None:
                        event.set()
                else:
                    _, name, ms, nbytes, reason = item
                    fire(
                        request_type=kind,
                        name=name,
                        response_time=ms,
                        response_length=nbytes,
                        exception=RealtimeFailure(reason) if reason is not None else None,
                        context={},
                    )
            self._check_barrier()
            gevent.sleep(0 if len(items) >= 5000 else 0.05)

    # --------------------------------------------------------------- the barrier

    def spawning_complete(self) -> None:
        self.spawned = True
        self._check_barrier()

    def _check_barrier(self) -> None:
        runner = self.runner
        if not self.spawned or self.ready_sent or runner is None:
            return
        if self.started != runner.user_count or self.ready < self.started:
            return
        self.ready_sent = True
        if isinstance(runner, WorkerRunner):
            runner.send_message(MSG_READY, {"vus": self.started})
        else:
            self.begin(self.send_for())

    def begin(self, send_for: float | None) -> None:
        if self.began:
            return
        self.began = True
        log.info(
            "all VUs joined: sending for %s",
            f"{send_for:.1f} s" if send_for is not None else "as long as the test runs",
        )
        self._host().begin_sending(send_for)
        runner = self.runner
        if send_for is not None and isinstance(runner, WorkerRunner):
            # The drain is over before -t ends: the master gets this worker's final result
            # then, however long closing thousands of sockets takes at the end.
            drain = self.workload.drain_s if self.workload is not None else 3.0
            gevent.spawn_later(send_for + drain + 0.2, self._push_result)

    def _push_result(self) -> None:
        runner = self.runner
        own = self.local_dict()
        if own is not None and isinstance(runner, WorkerRunner):
            runner.send_message(MSG_STATS, own)

    def send_for(self) -> float | None:
        """Seconds of sending left so that the drain ends before ``-t`` (None: no limit)."""
        run_time = getattr(self.options, "run_time", None)
        if not run_time:
            return None
        if self.workload is not None:
            drain = self.workload.drain_s
        else:
            given = getattr(self.options, "ri_drain", None)
            drain = 3.0 if given is None else float(given)
        left = float(run_time) - (time.monotonic() - self.t0) - drain - END_MARGIN_S
        if left < 1.0:
            log.warning(
                "only %.1f s of -t left for sending after every VU joined and before the "
                "drain: raise -t",
                max(left, 0.0),
            )
        return max(left, 0.5)

    def master_ready(self, client_id: str) -> None:
        self.ready_workers.add(client_id)
        runner = self.runner
        if isinstance(runner, MasterRunner) and len(self.ready_workers) >= runner.worker_count:
            self._master_start()

    def _master_start(self) -> None:
        if self.began:
            return
        self.began = True
        if self.fallback is not None:
            self.fallback.kill(block=False)
        send_for = self.send_for()
        log.info("every worker's VUs joined: start sending")
        runner = self.runner
        if isinstance(runner, MasterRunner):
            runner.send_message(MSG_START, {"send_for": send_for})

    # --------------------------------------------------------------- results

    def local_dict(self) -> dict[str, Any] | None:
        if self.host is None:
            return self.last
        try:
            return self.host.stats_dict()
        except Exception as exc:  # the loop is gone or stuck: report without it
            log.warning("no load result from this process: %s", exc)
            return None

    def merged(self) -> LoadStats:
        if isinstance(self.runner, MasterRunner):
            parts = list(self.results.values())
        else:
            own = self.local_dict()
            parts = [own] if own is not None else []
        total = LoadStats()
        total.processes = 0
        for part in parts:
            total.merge(LoadStats.from_dict(part))
        return total

    def report(self, final: bool) -> dict[str, Any]:
        stats = self.merged()
        out = {
            "format": "realtime-inspector-locust/1",
            "user_class": self.class_name or None,
            "summary": stats.summary(),
            "channel_problems": stats.channel_problems(),
            "errors": dict(stats.errors),
            "stats": stats.to_dict(),
            "final": final,
        }
        if isinstance(self.runner, MasterRunner):
            out["workers"] = {
                cid: LoadStats.from_dict(d).summary() for cid, d in sorted(self.results.items())
            }
        return out


_process: _Process | None = None


def _state(environment: Environment) -> _Process:
    global _process
    if _process is None or _process.env is not environment:
        _process = _Process(environment)
    return _process


# ------------------------------------------------------------------------------ Locust events


def _on_init(environment: Environment, **_kw: Any) -> None:
    proc = _state(environment)
    runner = environment.runner
    options = environment.parsed_options
    if isinstance(runner, MasterRunner) and options is not None and options.headless:
        # A headless master waits for --expect-workers before the test starts: refuse a run
        # that cannot go (a remote server without --ri-yes, a bad option) before that wait,
        # not once every worker has connected. (SystemExit passes through Locust's event hook.)
        problem = _check_options(environment)
        if problem:
            log.error("%s", problem)
            raise SystemExit(2)
    if isinstance(runner, MasterRunner):
        runner.register_message(
            MSG_READY, lambda environment, msg, **kw: proc.master_ready(msg.node_id)
        )
        runner.register_message(
            MSG_STATS, lambda environment, msg, **kw: _keep_result(proc, msg.node_id, msg.data)
        )
    elif isinstance(runner, WorkerRunner):
        runner.register_message(
            MSG_START, lambda environment, msg, **kw: proc.begin(msg.data.get("send_for"))
        )
    web_ui = getattr(environment, "web_ui", None)
    if web_ui is not None and not isinstance(runner, WorkerRunner):

        @web_ui.app.route("/realtime-inspector/report")
        def _report_route() -> Any:
            from flask import jsonify

            return jsonify(_finite(proc.report(final=False)))


def _keep_result(proc: _Process, client_id: str, data: Any) -> None:
    if isinstance(data, dict) and data.get("format"):
        proc.results[client_id] = data


def _on_test_start(environment: Environment, **_kw: Any) -> None:
    proc = _state(environment)
    proc.t0 = time.monotonic()
    runner = environment.runner
    options = environment.parsed_options
    if isinstance(runner, WorkerRunner):
        return
    # The master (or a local run) decides what every process must agree on.
    proc.began = proc.spawned = proc.ready_sent = False
    proc.ready_workers.clear()
    proc.results.clear()
    problem = _check_options(environment)
    if options is not None:
        # Travels to the workers with the spawn messages: their users then open nothing.
        options.ri_refused = bool(problem)
    if problem:
        log.error("%s", problem)
        environment.process_exit_code = 2
        if runner is not None:
            gevent.spawn(runner.quit)
        return
    if options is not None:
        if not options.ri_run_id:
            options.ri_run_id = uuid.uuid4().hex[:6]
        if not options.ri_vus:
            options.ri_vus = int(options.num_users or 1)
        if isinstance(runner, MasterRunner):
            options.ri_worker_count = runner.worker_count
    log.info(
        "load run %s: %s VUs%s",
        getattr(options, "ri_run_id", ""),
        getattr(options, "ri_vus", "?"),
        f" over {runner.worker_count} workers" if isinstance(runner, MasterRunner) else "",
    )


def _check_options(environment: Environment) -> str:
    """Why the run cannot start (several workloads, a bad override, no URL, a remote server
    headless without --ri-yes), or ""."""
    options = environment.parsed_options
    classes = [c for c in environment.user_classes if issubclass(c, LoadUser)]
    if len(classes) > 1:
        return (
            f"one workload per run: name one User class (locust -f {Path(__file__).name} "
            f"BroadcastUser); selected: {', '.join(c.__name__ for c in classes)}"
        )
    if options is None or not classes:
        return ""
    try:
        workload = workload_for(classes[0].workload_name, options, int(options.num_users or 1))
    except (ValueError, KeyError) as exc:
        return f"bad load option: {exc}"
    url = environment.host or os.environ.get("SUPABASE_URL")
    if not url:
        return "give the project URL: --host http://127.0.0.1:54321 (or $SUPABASE_URL)"
    if not is_local(url):
        lines = "; ".join(safety_lines(workload))
        if options.headless and not options.ri_yes:
            return f"{url} is not on this machine: {lines}. Run again with --ri-yes to go ahead"
        log.warning("%s is not on this machine: %s", redact_text(url), lines)
    return ""


def _on_spawning_complete(user_count: int, **_kw: Any) -> None:
    proc = _process
    if proc is None:
        return
    runner = proc.runner
    if isinstance(runner, MasterRunner):
        # If a worker never reports (it died), start anyway once every VU had its chance.
        limit = 2 * (proc.workload.connect_timeout_s if proc.workload else 10.0) + 5.0
        proc.fallback = gevent.spawn_later(limit, proc._master_start)
        return
    proc.spawning_complete()


def _on_test_stopping(environment: Environment, **_kw: Any) -> None:
    proc = _state(environment)
    if proc.host is not None:
        proc.host.stop_sending()


def _on_test_stop(environment: Environment, **_kw: Any) -> None:
    proc = _state(environment)
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        own = proc.local_dict()
        if own is not None:
            runner.send_message(MSG_STATS, own)
            proc.last = own
        # A new run (the web UI's Start again) gets a new loop, new counts.
        if proc.host is not None:
            proc.host.shutdown()
            proc.host = None
        proc.spawned = proc.ready_sent = proc.began = False
        proc.started = proc.ready = proc.next_slot = 0
        proc.free.clear()
        proc.workload = proc.settings = None
        return
    options = environment.parsed_options
    if options is not None and not options.headless:
        # The web UI's Stop: workers' last results arrive with their stop; report then.
        gevent.spawn_later(2.0, _final, proc, False)


def _on_report_to_master(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
    proc = _process
    if proc is not None:
        own = proc.local_dict()
        if own is not None:
            data[REPORT_KEY] = own


def _on_worker_report(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
    proc = _process
    if proc is not None and REPORT_KEY in data:
        _keep_result(proc, client_id, data[REPORT_KEY])


def _on_quitting(environment: Environment, **_kw: Any) -> None:
    proc = _state(environment)
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        _write_worker_report(proc)
    else:
        _final(proc, True)
    if proc.host is not None:
        proc.host.shutdown()


# ------------------------------------------------------------------------------ reports


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(_finite(data), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def worker_report_path(report: str, index: int) -> Path:
    """Where worker ``index`` writes its own result next to the master's ``report``."""
    path = Path(report)
    return path.with_name(f"{path.stem}.worker-{index}.json")


def _write_worker_report(proc: _Process) -> None:
    report = getattr(proc.options, "ri_report", "") if proc.options is not None else ""
    if not report:
        return
    data = proc.report(final=True)
    data["worker_index"] = proc.worker_index()
    with contextlib.suppress(OSError):
        _write_json(worker_report_path(report, proc.worker_index()), data)


def format_summary(summary: dict[str, Any], processes: int) -> str:
    """The final table, the rows of ``realtime-inspector load``'s (report.rows)."""
    lines = [f"Realtime Inspector load (merged from {processes} process(es))"]
    last = ""
    for section, label, value in rows(summary):
        lines.append(f"  {section if section != last else '':<12} {label:<28} {value:>14}")
        last = section
    return "\n".join(lines)


def _final(proc: _Process, final: bool) -> None:
    if getattr(proc.options, "ri_refused", False):
        return
    data = proc.report(final=final)
    stats = data["stats"]
    options = proc.options
    text = format_summary(data["summary"], int(stats.get("processes", 0)))
    if data["channel_problems"]:
        text += "\n  channels with lost/duplicated/out-of-order messages (worst first):"
        for row in data["channel_problems"][:10]:
            text += (
                f"\n    {row['channel']}: expected {row['expected']}, delivered "
                f"{row['delivered']}, lost {row['lost']}, duplicated {row['duplicated']}, "
                f"out of order {row['out_of_order']}"
            )
    if data["errors"]:
        text += "\n  errors: " + ", ".join(
            f"{redact_text(reason)} ×{count}" for reason, count in data["errors"].items()
        )
    print(text, flush=True)  # noqa: T201 - the summary is for the terminal
    if options is None:
        return
    # A result file that cannot be written is said (a CI job would lose it in silence).
    if options.ri_report:
        try:
            _write_json(Path(options.ri_report), data)
        except OSError as exc:
            log.error("--ri-report: cannot write %s: %s", options.ri_report, exc.strerror or exc)
    if options.ri_csv:
        try:
            path = Path(options.ri_csv)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["metric", "value"])
                for name, value in data["summary"].items():
                    writer.writerow([name, "" if _finite(value) is None else value])
        except OSError as exc:
            log.error("--ri-csv: cannot write %s: %s", options.ri_csv, exc.strerror or exc)


# ------------------------------------------------------------------------------ wiring

events.init_command_line_parser.add_listener(_options)
events.init.add_listener(_on_init)
events.test_start.add_listener(_on_test_start)
events.spawning_complete.add_listener(_on_spawning_complete)
events.test_stopping.add_listener(_on_test_stopping)
events.test_stop.add_listener(_on_test_stop)
events.report_to_master.add_listener(_on_report_to_master)
events.worker_report.add_listener(_on_worker_report)
events.quitting.add_listener(_on_quitting)


# ------------------------------------------------------------------------------ User classes


class LoadUser(User):
    """One VU of :attr:`workload_name` (abstract: run one of the classes below)."""

    abstract = True
    #: The preset this class runs (:data:`inspector.client.load.PRESETS`).
    workload_name: ClassVar[str] = "broadcast"
    #: The greenlet only keeps the user alive; the VU runs on the process's asyncio loop.
    wait_time = constant(1)

    def on_start(self) -> None:
        self._index = -1
        if getattr(self.environment.parsed_options, "ri_refused", False):
            return  # the master refused the run and is quitting: open nothing
        proc = _state(self.environment)
        try:
            self._index = proc.start_vu(type(self))
        except (RealtimeFailure, ValueError, KeyError) as exc:
            self.environment.events.request.fire(
                request_type="ERROR",
                name="vu",
                response_time=0,
                response_length=0,
                exception=RealtimeFailure(str(exc)),
                context={},
            )
            raise

    @task
    def hold(self) -> None:
        """Nothing: the VU's work happens on the loop; this greenlet waits to be stopped."""

    def on_stop(self) -> None:
        if getattr(self, "_index", -1) >= 0:
            proc = _state(self.environment)
            runner = self.environment.runner
            if (
                runner is not None
                and runner.state
                in (
                    STATE_CLEANUP,
                    STATE_STOPPING,
                    STATE_STOPPED,
                )
                and proc.host is not None
            ):
                proc.host.stop_sending()
            proc.stop_vu(self._index)
            self._index = -1


class BroadcastUser(LoadUser):
    """``broadcast``: an echo channel and a group channel of 6, 2 messages/s into each."""

    abstract = False
    workload_name = "broadcast"


class PayloadSizeUser(LoadUser):
    """``payload-size``: broadcast with 1 KB payloads (``--ri-payload 10000`` or 50000)."""

    abstract = False
    workload_name = "payload-size"


class LargeFanoutUser(LoadUser):
    """``large-fanout``: 2 channels of 100 users, 1 message/minute into each."""

    abstract = False
    workload_name = "large-fanout"


class AuthUser(LoadUser):
    """``auth``: private channels, a user token per VU (``--ri-jwt-secret``) or one
    (``--ri-token``); Locust's ``-r`` is the new-connection rate."""

    abstract = False
    workload_name = "auth"


class RestUser(LoadUser):
    """``rest``: websocket subscribers; each VU posts into its channel with REST."""

    abstract = False
    workload_name = "rest"


class CustomUser(LoadUser):
    """``custom``: everything from ``--ri-*`` options or ``RI_LOAD_*`` variables."""

    abstract = False
    workload_name = "custom"


__all__ = [
    "AuthUser",
    "BroadcastUser",
    "CustomUser",
    "LargeFanoutUser",
    "LoadUser",
    "LocalRunner",
    "PayloadSizeUser",
    "RestUser",
]
