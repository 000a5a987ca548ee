"""Load check files: YAML (safe), validated against docs/checks.schema.json, into the model.

The YAML is composed into nodes with PyYAML's safe loader (no tags that build objects), then
turned into plain JSON values while the line and column of every value and key are recorded,
so each problem names its place: ``orders.yaml:14:9: unknown field 'withn' in expect (allowed:
…)``. The document is validated with ``jsonschema`` against the published schema (a copy ships
in this package; a test keeps it identical to docs/checks.schema.json), then checked for what a
schema cannot say (an identity that is not defined, a variable used before it is captured, a
JSONPath that does not parse, a websocket send on a channel the identity never joined).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from inspector.protocol.template import BUILTIN_NAMES, TemplateError, placeholder_names

from . import model as m
from .match import JsonPathError, compile_path

__all__ = [
    "LoadError",
    "Problem",
    "load_file",
    "load_files",
    "load_text",
    "parse_duration",
    "schema",
]

#: Largest file read, and most YAML nodes built (aliases can multiply nodes: "billion laughs").
MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_EXAMPLES = "like 500ms, 2s, 1.5s, 1m or 1h"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, at a 1-based line and column (0 when unknown)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.message}"


class LoadError(ValueError):
    """A file that cannot be used; ``problems`` says where and why (sorted by place)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column))
        super().__init__("\n".join(str(p) for p in self.problems))


@cache
def schema() -> dict[str, Any]:
    """The check-file JSON Schema (the package's copy of docs/checks.schema.json)."""
    text = resources.files(__package__).joinpath("checks.schema.json").read_text("utf-8")
    value: dict[str, Any] = json.loads(text)
    return value


def parse_duration(value: Any) -> float:
    """``"500ms"`` -> 0.5, ``"2s"`` -> 2.0, ``"1m"`` -> 60.0, ``"1h"`` -> 3600.0, a number ->
    seconds; at most 24 h (``MAX_DURATION_S``)."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number with a unit, like 500ms or 2s")
    if isinstance(value, int | float):
        if value < 0 or math.isnan(value):
            raise ValueError("a duration cannot be negative")
        seconds = float(value)
    else:
        mt = _DURATION.match(str(value))
        if mt is None:
            raise ValueError(f"{value!r} is not a duration ({_DURATION_EXAMPLES})")
        seconds = float(mt.group(1)) * _UNIT[mt.group(2)]
    if seconds > m.MAX_DURATION_S:
        raise ValueError(
            f"{value!r} is too long: {m.format_duration(seconds)}; "
            f"a duration is at most {m.format_duration(m.MAX_DURATION_S)}"
        )
    return seconds


# ================================================================== YAML with places


@dataclass
class _Doc:
    file: str
    value: Any = None
    #: path -> (line, column) of the value, and of the key for mapping entries.
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def at(self, path: Path_, message: str, *, key: bool = False) -> None:
        line, col = self.place(path, key=key)
        self.problems.append(Problem(self.file, line, col, message))

    def place(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        p = path
        while True:
            if key and p in self.key_marks:
                return self.key_marks[p]
            if p in self.marks:
                return self.marks[p]
            if not p:
                return (1, 1)
            p = p[:-1]


#: The tags of plain YAML data; others (``!!python/object``, custom ``!tags``) are refused.
_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary")
)


class _Builder:
    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.loader = yaml.SafeLoader("")
        self.nodes = 0

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig
        self.doc.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag not in _TAGS:
            self.doc.at(path, f"the YAML tag {node.tag!r} is not allowed (plain data only)")
            return None
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # merge keys (<<)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, (*path, "\0key"))
                if not isinstance(key, str):
                    key = json.dumps(key) if isinstance(key, int | float | bool) else str(key)
                child = (*path, key)
                self.doc.key_marks[child] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                if key in out:
                    self.doc.at(child, f"the key {key!r} appears twice", key=True)
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        tag = node.tag.rsplit(":", 1)[-1]
        if tag in ("timestamp", "binary"):
            return node.value  # JSON has no dates or bytes: keep the text
        value = self.loader.construct_object(node)
        if isinstance(value, float) and not math.isfinite(value):
            self.doc.at(path, "NaN and infinities are not JSON")
        return value


class _TooBig(Exception):
    pass


def _parse_yaml(text: str, file: str) -> _Doc:
    doc = _Doc(file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = " ".join(filter(None, [exc.context, exc.problem]))
        doc.problems.append(Problem(file, line, col, f"not valid YAML: {what}"))
        return doc
    except yaml.YAMLError as exc:
        doc.problems.append(Problem(file, 0, 0, f"not valid YAML: {exc}"))
        return doc
    if node is None:
        doc.problems.append(Problem(file, 1, 1, "the file is empty"))
        return doc
    try:
        doc.value = _Builder(doc).build(node, ())
    except _TooBig:
        doc.problems.append(Problem(file, 1, 1, f"the file has more than {MAX_NODES} values"))
    except RecursionError:
        doc.problems.append(Problem(file, 1, 1, "the file is nested too deeply"))
    except yaml.YAMLError as exc:
        doc.problems.append(Problem(file, 0, 0, f"not valid YAML: {exc}"))
    return doc


# ================================================================== schema


def _schema_problems(doc: _Doc) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    seen: set[Path_] = set()
    for error in sorted(validator.iter_errors(doc.value), key=lambda e: list(map(str, e.path))):
        path: Path_ = tuple(error.absolute_path)
        if path in seen:
            continue  # one message per place is enough
        seen.add(path)
        _explain(doc, error, path)


def _explain(doc: _Doc, error: jsonschema.ValidationError, path: Path_) -> None:
    kind = error.validator
    where = _where(path)
    value = error.instance
    if kind == "additionalProperties":
        subschema = error.schema
        allowed = sorted(subschema.get("properties", {})) if isinstance(subschema, Mapping) else []
        extra = [k for k in value if k not in allowed] if isinstance(value, dict) else []
        if _is_step(path):
            for k in extra:
                doc.at((*path, k), f"unknown step {k!r} (steps: {', '.join(allowed)})", key=True)
            return
        for k in extra:
            doc.at(
                (*path, k),
                f"unknown field {k!r} in {where} (allowed: {', '.join(allowed)})",
                key=True,
            )
        return
    if kind in ("minProperties", "maxProperties") and _is_step(path):
        kinds = ", ".join(schema()["$defs"]["step"]["properties"])
        doc.at(path, f"a step has exactly one kind ({kinds}); put its fields inside it")
        return
    if kind == "oneOf" and not path:
        doc.at(path, "a file has either `steps` (one check) or `checks` (several), not both")
        return
    if kind == "required":
        doc.at(path, f"{where} needs {error.message.split(' is a required')[0]}")
        return
    if kind == "pattern" and error.validator_value == schema()["$defs"]["duration"]["pattern"]:
        doc.at(path, f"{where}: {value!r} is not a duration ({_DURATION_EXAMPLES})")
        return
    if kind == "pattern" and path and path[-1] == "\0key":
        doc.at(path, f"{error.message}")
        return
    if kind == "propertyNames":
        doc.at(path, f"{where}: names are letters, digits and _ (not starting with a digit)")
        return
    if kind == "enum":
        choices = error.validator_value
        options = ", ".join(map(str, choices if isinstance(choices, list) else []))
        doc.at(path, f"{where}: {value!r} is not one of {options}")
        return
    if kind == "type":
        want = error.validator_value
        names = {"object": "mapping", "array": "list", "integer": "whole number"}
        wanted = [str(w) for w in (want if isinstance(want, list) else [want])]
        want_text = " or ".join(names.get(w, w) for w in wanted)
        doc.at(path, f"{where} should be {_article(want_text)}, not {_json_type(value)}")
        return
    doc.at(path, f"{where}: {error.message}")


def _article(text: str) -> str:
    return ("an " if text[:1] in "aeiou" else "a ") + text


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    return "a list" if isinstance(value, list) else "a mapping"


def _is_step(path: Path_) -> bool:
    return len(path) >= 2 and path[-2] == "steps" and isinstance(path[-1], int)


def _where(path: Path_) -> str:
    """``check 2, step 3, expect.within`` for messages (``the file`` at the top)."""
    if not path:
        return "the file"
    parts: list[str] = []
    rest: list[str] = []
    items = list(path)
    i = 0
    while i < len(items):
        part = items[i]
        nxt = items[i + 1] if i + 1 < len(items) else None
        if part in ("steps", "checks") and isinstance(nxt, int) and not rest:
            parts.append(f"{'step' if part == 'steps' else 'check'} {nxt + 1}")
            i += 2
            continue
        rest.append(f"[{part}]" if isinstance(part, int) else str(part))
        i += 1
    if rest:
        parts.append(".".join(rest).replace(".[", "["))
    return ", ".join(parts)


# ================================================================== model


def load_text(text: str, path: Path | str = "<text>") -> m.CheckFile:
    """The checks in ``text``; raises :class:`LoadError`."""
    file = str(path)
    doc = _parse_yaml(text, file)
    if doc.problems:
        raise LoadError(doc.problems)
    _schema_problems(doc)
    if doc.problems:
        raise LoadError(doc.problems)
    result = _Model(doc, Path(path)).file()
    if doc.problems:
        raise LoadError(doc.problems)
    return result


def load_file(path: Path | str) -> m.CheckFile:
    """Read and load one file; raises :class:`LoadError` (unreadable files too)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise LoadError([Problem(str(p), 0, 0, f"cannot read: {exc.strerror or exc}")]) from None
    if len(data) > MAX_BYTES:
        raise LoadError([Problem(str(p), 0, 0, f"larger than {MAX_BYTES // 1048576} MB")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError([Problem(str(p), 0, 0, f"not UTF-8 text ({exc.reason})")]) from None
    return load_text(text, p)


def load_files(paths: list[Path | str]) -> list[m.CheckFile]:
    """Every file, or one :class:`LoadError` with the problems of all of them."""
    out: list[m.CheckFile] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            out.append(load_file(path))
        except LoadError as exc:
            problems.extend(exc.problems)
    if problems:
        raise LoadError(problems)
    return out


_FIELDS: dict[str, dict[str, str]] = {
    # YAML field -> model field where they differ
    "join": {"self": "self_"},
    "expect": {"from": "from_"},
    "expect_none": {"from": "from_"},
    "expect_presence": {"from": "from_"},
}
_CLASSES: dict[str, type[Any]] = {
    "join": m.Join,
    "leave": m.Leave,
    "send": m.Send,
    "expect": m.Expect,
    "expect_none": m.ExpectNone,
    "track": m.Track,
    "untrack": m.Untrack,
    "expect_presence": m.ExpectPresence,
    "wait": m.Wait,
}
_TEXT_FIELDS = ("channel", "event", "key", "reason")


class _Model:
    def __init__(self, doc: _Doc, path: Path) -> None:
        self.doc = doc
        self.path = path

    def file(self) -> m.CheckFile:
        top: dict[str, Any] = self.doc.value
        suite = str(top["name"]) if "checks" in top and "name" in top else self.path.stem
        connect = self.connect(top.get("connect", {}))
        base_ids = self.identities(top.get("identities", {}), ("identities",))
        base_vars = dict(top.get("vars", {}))
        base_timeout = self.duration(top.get("timeout", "30s"), ("timeout",))
        checks: list[m.Check] = []
        if "steps" in top:
            checks.append(self.check(top, (), connect, base_ids, {}, base_timeout, suite))
        else:
            names: set[str] = set()
            for i, raw in enumerate(top["checks"]):
                at: Path_ = ("checks", i)
                if raw["name"] in names:
                    self.doc.at((*at, "name"), f"two checks are named {raw['name']!r}")
                names.add(raw["name"])
                ids = {
                    **base_ids,
                    **self.identities(raw.get("identities", {}), (*at, "identities")),
                }
                timeout = (
                    self.duration(raw["timeout"], (*at, "timeout"))
                    if "timeout" in raw
                    else base_timeout
                )
                checks.append(self.check(raw, at, connect, ids, base_vars, timeout, suite))
        return m.CheckFile(self.path, suite, tuple(checks))

    def connect(self, raw: Mapping[str, Any]) -> m.Connect:
        for name in ("url", "key"):
            if name in raw:
                self.templates(str(raw[name]), ("connect", name), set(), allow_values=False)
        return m.Connect(raw.get("url"), raw.get("key"), raw.get("vsn", "2.0.0"))

    def identities(self, raw: Mapping[str, Any], at: Path_) -> dict[str, m.Identity]:
        out = {}
        for name, spec in raw.items():
            for f in ("key", "token"):
                if f in spec:
                    self.templates(str(spec[f]), (*at, name, f), set(), allow_values=False)
            out[name] = m.Identity(name, spec.get("key"), spec.get("token"))
        return out

    def duration(self, value: Any, at: Path_) -> float:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.doc.at(at, str(exc))
            return 0.0

    def templates(
        self, text: str, at: Path_, known: set[str], *, allow_values: bool = True
    ) -> None:
        try:
            names = placeholder_names(text)
        except TemplateError as exc:
            self.doc.at(at, f"{_where(at)}: {exc}")
            return
        for name in names:
            head = name.split(".", 1)[0].split(":", 1)[0]
            if not name or head in BUILTIN_NAMES:
                continue
            if not allow_values:
                self.doc.at(
                    at,
                    f"{_where(at)}: only {{{{env.NAME}}}} and built-in variables "
                    f"can be used here, not {{{{{name}}}}}",
                )
            elif head not in known:
                self.doc.at(
                    at,
                    f"{_where(at)}: unknown variable {{{{{name}}}}} (define it in `vars` or "
                    "capture it in an earlier step)",
                )

    def check(
        self,
        raw: Mapping[str, Any],
        at: Path_,
        connect: m.Connect,
        identities: dict[str, m.Identity],
        base_vars: dict[str, Any],
        timeout: float,
        suite: str,
    ) -> m.Check:
        if at == ():
            timeout = self.duration(raw.get("timeout", "30s"), ("timeout",))
        variables = {**base_vars, **raw.get("vars", {})}
        known: set[str] = set()
        for name, value in variables.items():  # vars may use earlier vars
            self.templates(json.dumps(value), (*at, "vars", name), set(known))
            known.add(name)
        ids = {m.DEFAULT_IDENTITY: m.Identity(m.DEFAULT_IDENTITY), **identities}
        joined: dict[tuple[str, str], bool] = {}  # (identity, channel) -> ack
        steps = [
            self.step(i, raw_step, (*at, "steps", i), ids, known, joined)
            for i, raw_step in enumerate(raw["steps"])
        ]
        for i, st in enumerate(steps):
            if isinstance(st, m.Wait) and st.seconds > timeout:
                self.doc.at(
                    (*at, "steps", i, "wait"),
                    f"wait {m.format_duration(st.seconds)} is longer than the check's timeout "
                    f"({m.format_duration(timeout)}): the check would always time out; shorten "
                    "the wait or raise `timeout`",
                )
        line = self.doc.place((*at, "name"))[0]
        return m.Check(
            name=str(raw["name"]),
            steps=tuple(s for s in steps if s is not None),
            connect=connect,
            identities=ids,
            vars=variables,
            timeout=timeout,
            file=self.path,
            line=line,
            suite=suite,
        )

    def step(
        self,
        index: int,
        raw: Mapping[str, Any],
        at: Path_,
        ids: dict[str, m.Identity],
        known: set[str],
        joined: dict[tuple[str, str], bool],
    ) -> m.Step | None:
        ((kind, body),) = raw.items()
        here: Path_ = (*at, kind)
        line = self.doc.place(at)[0]
        if kind == "wait":
            return m.Wait(index, line, "", m.DEFAULT_IDENTITY, self.duration(body, here))
        fields: dict[str, Any] = {}
        rename = _FIELDS.get(kind, {})
        for name, value in body.items():
            fields[rename.get(name, name)] = value
        identity = fields.pop("identity", m.DEFAULT_IDENTITY)
        if identity not in ids:
            defined = ", ".join(sorted(ids))
            self.doc.at((*here, "identity"), f"unknown identity {identity!r} (defined: {defined})")
        label = fields.pop("name", "")
        for name in _TEXT_FIELDS:
            if name in fields:
                self.templates(str(fields[name]), (*here, name), known)
        if "payload" in fields:
            self.templates(json.dumps(fields["payload"]), (*here, "payload"), known)
            if kind in ("expect", "expect_none", "expect_presence"):
                fields["has_payload"] = True
        for i, query in enumerate(fields.get("where", [])):
            self.templates(query, (*here, "where", i), known)
            self.jsonpath(query, (*here, "where", i), known)
        if "where" in fields:
            fields["where"] = tuple(fields["where"])
        for name in ("within", "timeout"):
            if name in fields:
                fields[name] = self.duration(fields[name], (*here, name))
        if kind == "join":
            presence = fields.pop("presence", False)
            fields["presence"] = bool(presence)
            if isinstance(presence, dict) and "key" in presence:
                fields["presence_key"] = presence["key"]
                self.templates(presence["key"], (*here, "presence", "key"), known)
            if "reason" in fields and fields.get("expect", "joined") != "refused":
                self.doc.at((*here, "reason"), "`reason` goes with `expect: refused`", key=True)
            joined[(identity, fields["channel"])] = bool(fields.get("ack", False))
        if kind == "send":
            if "reason" in fields and fields.get("expect", "ok") != "error":
                self.doc.at((*here, "reason"), "`reason` goes with `expect: error`", key=True)
            if fields.get("via", "websocket") == "websocket":
                if "private" in fields:
                    self.doc.at(
                        (*here, "private"),
                        "`private` is for `via: rest`; a websocket send uses the join's",
                        key=True,
                    )
                ack = joined.get((identity, fields["channel"]))
                if ack is None:
                    self.doc.at(
                        here,
                        f"send on {fields['channel']!r} over the websocket needs a `join` of "
                        f"that channel by identity {identity!r} in an earlier step (or `via: rest`)",
                    )
                elif fields.get("ack") and not ack:
                    self.doc.at(
                        (*here, "ack"),
                        "`ack: true` needs the channel joined with `ack: true`",
                        key=True,
                    )
            elif "ack" in fields:
                self.doc.at((*here, "ack"), "`ack` is for websocket sends", key=True)
        if kind == "leave":
            joined.pop((identity, fields["channel"]), None)
        if kind in ("expect", "expect_presence"):
            for name, query in fields.get("capture", {}).items():
                self.jsonpath(query, (*here, "capture", name), known)
                if name in BUILTIN_NAMES:
                    self.doc.at((*here, "capture", name), f"{name!r} is a built-in variable")
            known.update(fields.get("capture", {}))
        try:
            return _CLASSES[kind](index=index, line=line, label=label, identity=identity, **fields)  # type: ignore[no-any-return]
        except (TypeError, ValueError) as exc:  # pragma: no cover - the schema prevents it
            self.doc.at(here, str(exc))
            return None

    def jsonpath(self, query: str, at: Path_, known: set[str]) -> None:
        try:
            placeholder_names(query)
        except TemplateError:
            return  # reported by templates()
        if "{{" in query:
            return  # checked when expanded
        try:
            compile_path(query)
        except JsonPathError as exc:
            first = str(exc).splitlines()[0]
            self.doc.at(at, f"{_where(at)}: not a JSONPath query: {first}")


def iter_problems(error: LoadError) -> Iterator[str]:
    """The lines to print for a :class:`LoadError`."""
    for p in error.problems:
        yield str(p)
