"""Check files: YAML loading, the published schema, and problems with file:line:column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from inspector.client.checks import (
    Expect,
    ExpectNone,
    Join,
    LoadError,
    Send,
    Wait,
    load_file,
    load_files,
    load_text,
    parse_duration,
    schema,
)

ROOT = Path(__file__).resolve().parents[3]
DOC_SCHEMA = ROOT / "docs" / "checks.schema.json"
EXAMPLES = sorted((ROOT / "examples" / "checks").glob("*.yaml"))


def test_the_package_schema_is_the_published_one() -> None:
    packaged = ROOT / "inspector" / "client" / "checks" / "checks.schema.json"
    assert packaged.read_bytes() == DOC_SCHEMA.read_bytes()
    assert schema() == json.loads(DOC_SCHEMA.read_text())


def _walk(node: Any, path: str) -> list[str]:
    """Paths of properties without a description (editors show descriptions on hover)."""
    missing: list[str] = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if isinstance(sub, dict) and "description" not in sub and "$ref" not in sub:
                missing.append(f"{path}.{name}")
        for key, sub in node.items():
            missing += _walk(sub, f"{path}.{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            missing += _walk(sub, f"{path}[{i}]")
    return missing


def test_the_schema_is_valid_and_every_property_is_described() -> None:
    doc = json.loads(DOC_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(doc)
    assert _walk(doc, "$") == []
    for name, d in doc["$defs"].items():
        assert d.get("description"), name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_load_and_validate_against_the_published_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), json.loads(DOC_SCHEMA.read_text()))
    loaded = load_file(path)
    assert loaded.checks
    assert all(c.steps for c in loaded.checks)
    assert loaded.checks[0].file == path


def test_a_check_becomes_the_model_with_lines_and_defaults() -> None:
    text = """\
name: t
vars: {order_id: "o-{{uuid}}"}
timeout: 1m
steps:
  - join: {channel: orders, ack: true, self: true, presence: {key: k}}
  - send: {channel: orders, event: order.created, payload: {id: "{{order_id}}"}}
  - expect:
      channel: orders
      event: "order.*"
      payload: {id: "{{order_id}}"}
      within: 1.5s
      capture: {code: $.code}
  - wait: 250ms
  - expect_none: {channel: orders, event: x, within: 2, from: start_of_check}
  - send: {channel: orders, event: y, payload: {c: "{{code}}"}, via: rest}
"""
    check = load_text(text, "t.yaml").checks[0]
    assert check.timeout == 60.0
    assert check.suite == "t"
    join, send, expect, wait, none, rest = check.steps
    assert isinstance(join, Join)
    assert (join.ack, join.self_, join.presence, join.presence_key, join.line) == (
        True,
        True,
        True,
        "k",
        5,
    )
    assert isinstance(send, Send)
    assert send.title == "send order.created on orders"
    assert isinstance(expect, Expect)
    assert (expect.within, expect.count, expect.from_, expect.line) == (1.5, 1, "previous_step", 7)
    assert dict(expect.capture) == {"code": "$.code"}
    assert isinstance(wait, Wait)
    assert wait.seconds == 0.25
    assert isinstance(none, ExpectNone)
    assert (none.within, none.from_) == (2.0, "start_of_check")
    assert isinstance(rest, Send)
    assert rest.via == "rest"


def test_several_checks_share_the_file_settings() -> None:
    text = """\
name: shop
vars: {a: 1}
identities: {user: {token: "{{env.T}}"}}
checks:
  - name: one
    steps: [{join: {channel: c, identity: user}}]
  - name: two
    vars: {b: "{{a}}"}
    timeout: 5s
    steps: [{wait: 1s}]
"""
    f = load_text(text, "suite.yaml")
    assert f.suite == "shop"
    one, two = f.checks
    assert one.suite == two.suite == "shop"
    assert "user" in one.identities
    assert dict(two.vars) == {"a": 1, "b": "{{a}}"}
    assert (one.timeout, two.timeout) == (30.0, 5.0)
    assert one.line == 5


BAD = [
    ("name: t\nsteps:\n  - join: {channel: c, selff: true}\n", "3:24", "unknown field 'selff'"),
    ("name: t\nsteps:\n  - sendd: {channel: c}\n", "3:5", "unknown step 'sendd'"),
    (
        "name: t\nsteps:\n  - join: {channel: c}\n  - expect: {channel: c, within: 2 seconds}\n",
        "4:34",
        "step 2, expect.within: '2 seconds' is not a duration",
    ),
    ("name: t\nsteps:\n  - join: orders\n", "3:11", "step 1, join should be a mapping"),
    ("name: t\nsteps:\n  - join: {}\n", "3:11", "step 1, join needs 'channel'"),
    ("name: t\nsteps:\n  - {}\n", "3:5", "a step has exactly one kind"),
    (
        "name: t\nsteps:\n  - join: {channel: c}\n    wait: 1s\n",
        "3:5",
        "a step has exactly one kind",
    ),
    ("steps:\n  - wait: 1s\n", "1:1", "needs 'name'"),
    ("name: t\nsteps: []\nchecks: []\n", "1:1", "either `steps`"),
    (
        "name: t\nsteps:\n  - join: {channel: c, expect: maybe}\n",
        "3:32",
        "'maybe' is not one of joined, refused",
    ),
    (
        "name: t\nsteps:\n  - join: {channel: c}\n  - expect: {channel: c, payload: {id: '{{nope}}'}}\n",
        "4:35",
        "unknown variable {{nope}}",
    ),
    (
        "name: t\nsteps:\n  - send: {channel: c, event: e}\n",
        "3:11",
        "needs a `join` of that channel by identity 'default'",
    ),
    (
        "name: t\nsteps:\n  - join: {channel: c}\n  - send: {channel: c, event: e, ack: true}\n",
        "4:34",
        "`ack: true` needs the channel joined with `ack: true`",
    ),
    (
        "name: t\nsteps:\n  - join: {channel: c, identity: admin}\n",
        "3:34",
        "unknown identity 'admin' (defined: default)",
    ),
    (
        "name: t\nsteps:\n  - join: {channel: c}\n  - expect: {channel: c, where: ['$.[[']}\n",
        "4:34",
        "not a JSONPath query",
    ),
    (  # an invalid regex literal: the JSONPath library hands it to re unchecked (QA)
        "name: t\nsteps:\n  - join: {channel: c}\n  - expect: {channel: c, where: ['$[?@.a =~ /(/]']}\n",
        "4:34",
        "invalid regular expression",
    ),
    (
        "name: t\nsteps:\n  - join: {channel: c}\n  - expect: {channel: c, capture: {x: '$.a['}}\n",
        "4:39",
        "not a JSONPath query",
    ),
    ("name: t\nsteps:\n  - join: {channel: '{{bad'}\n", "3:21", "not a variable"),
    ("name: t\nname: u\nsteps: [{wait: 1s}]\n", "2:1", "the key 'name' appears twice"),
    ("name: t\nsteps: [{wait: 1s}\n", "3:1", "not valid YAML"),
    ("", "1:1", "the file is empty"),
    (
        "name: t\nsteps:\n  - !!python/object/apply:os.system [echo hi]\n",
        "3:5",
        "the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    (
        "name: t\nsteps:\n  - join: {channel: c, expect: joined, reason: x}\n",
        "3:40",
        "`reason` goes with `expect: refused`",
    ),
    (
        "name: t\nconnect: {url: '{{base}}'}\nsteps: [{wait: 1s}]\n",
        "2:16",
        "only {{env.NAME}} and built-in variables",
    ),
]


@pytest.mark.parametrize(("text", "place", "message"), BAD)
def test_problems_name_the_file_line_and_column(text: str, place: str, message: str) -> None:
    with pytest.raises(LoadError) as info:
        load_text(text, "bad.yaml")
    lines = str(info.value).splitlines()
    assert any(line.startswith(f"bad.yaml:{place}: ") and message in line for line in lines), lines


def test_alias_bombs_are_bounded() -> None:
    rows = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        rows.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    text = "name: t\nvars:\n" + "\n".join("  " + r for r in rows) + "\nsteps: [{wait: 1s}]\n"
    with pytest.raises(LoadError, match="more than 200000 values"):
        load_text(text, "bomb.yaml")


def test_load_files_reports_every_bad_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: g\nsteps: [{wait: 1ms}]\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: b\nsteps: [{wat: 1ms}]\n")
    missing = tmp_path / "missing.yaml"
    with pytest.raises(LoadError) as info:
        load_files([good, bad, missing])
    text = str(info.value)
    assert f"{bad}:2:10: unknown step 'wat'" in text
    assert f"{missing}: cannot read" in text
    assert str(good) not in text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("2s", 2.0),
        ("1.5s", 1.5),
        ("1m", 60.0),
        ("2h", 7200.0),
        ("24h", 86400.0),
        (3, 3.0),
    ],
)
def test_durations(text: Any, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_hours_are_accepted_by_the_schema_and_long_durations_read_well() -> None:
    f = load_text("name: t\ntimeout: 2h\nsteps:\n  - wait: 90m\n", "h.yaml")
    (check,) = f.checks
    assert check.timeout == 7200.0
    assert check.steps[0].summary() == "wait 1 h 30 min"  # not "wait 5400 s" or "6e+06 s"
    jsonschema.validate(yaml.safe_load("name: t\ntimeout: 1.5h\nsteps: [{wait: 1h}]\n"), schema())


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (
            "name: t\ntimeout: 100000h\nsteps: [{wait: 1s}]\n",
            "2:10",
            "'100000h' is too long: 100000 h; a duration is at most 24 h",
        ),
        (
            "name: t\ntimeout: 1h\nsteps:\n  - wait: 100000m\n",
            "4:11",
            "'100000m' is too long: 1666 h 40 min; a duration is at most 24 h",
        ),
        (
            "name: t\nsteps:\n  - wait: 2m\n",
            "3:11",
            "wait 2 min is longer than the check's timeout (30 s): the check would always time out",
        ),
    ],
)
def test_too_long_durations_are_file_errors(text: str, where: str, what: str) -> None:
    with pytest.raises(LoadError) as info:
        load_text(text, "long.yaml")
    assert f"long.yaml:{where}: " in str(info.value)
    assert what in str(info.value)


def test_the_yaml_examples_in_docs_checks_md_load() -> None:
    text = (ROOT / "docs" / "checks.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    checks = [b for b in blocks if "\nsteps:" in b and "jobs:" not in b]
    assert checks
    for block in checks:
        loaded = load_text(block, "doc.yaml")
        assert loaded.checks[0].steps
    first = load_text(checks[0], "orders.yaml").checks[0]
    assert (first.line, first.steps[2].line) == (2, 11)  # what the failure shown there says
