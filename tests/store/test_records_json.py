"""``json_bytes`` turns whatever a peer sent into row bytes (QA finding 4: a lone surrogate in
a text broadcast's meta, a system message or presence lost the GUI row)."""

from __future__ import annotations

import json

from inspector.store.messages.records import json_bytes


def test_json_bytes_never_raises_for_received_values() -> None:
    value = {"id": "a\ud800", "k\udfff": [1.5, None], "é": "✓"}
    data = json_bytes(value)
    assert data == b'{"id":"a\\ud800","k\\udfff":[1.5,null],"\xc3\xa9":"\xe2\x9c\x93"}'
    assert json.loads(data.decode("utf-8")) == value
