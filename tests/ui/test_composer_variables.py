"""Variables in the composer (issue #11 item 2): the preview of the next send, the inline
template error with its line and column, {{seq}} per tab, {{claims.*}} and event names."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.protocol import jwt
from inspector.store import SendTemplate, Transport
from inspector.store.library import claims_of
from inspector.ui.composer.composer_panel import ComposerPanel
from inspector.ui.open_channel import SendRequest

pytestmark = pytest.mark.gui


def make(qtbot: Any) -> tuple[ComposerPanel, list[SendRequest]]:
    panel = ComposerPanel()
    qtbot.addWidget(panel)
    panel.set_variables_source(lambda: None, env={"WHO": "ann"})
    panel.show()
    sent: list[SendRequest] = []
    panel.send_requested.connect(sent.append)
    return panel, sent


def test_preview_follows_typing_and_seq_counts_sends(qtbot: Any) -> None:
    panel, sent = make(qtbot)
    qtbot.keyClicks(panel.event_edit, "msg-{{seq}}")
    panel.payload_edit.setPlainText('{"n": "{{seq}}", "who": "hi {{env.WHO}}"}')
    # debounced: the preview appears after a pause in typing
    qtbot.waitUntil(lambda: panel.preview_label.isVisibleTo(panel), timeout=2000)
    assert panel.preview_label.text() == 'Next send: msg-1  {"n":1,"who":"hi ann"}'
    assert panel.send_button.isEnabled()
    panel.submit()
    panel.submit()
    assert [(r.event, r.payload) for r in sent] == [
        ("msg-1", b'{"n":1,"who":"hi ann"}'),
        ("msg-2", b'{"n":2,"who":"hi ann"}'),
    ]
    assert sent[0].template == SendTemplate(
        "msg-{{seq}}", '{"n": "{{seq}}", "who": "hi {{env.WHO}}"}'
    )
    assert panel.preview_label.text().startswith("Next send: msg-3")
    # a second tab counts on its own
    other, other_sent = make(qtbot)
    other.event_edit.setText("e")
    other.payload_edit.setPlainText('{"n": "{{seq}}"}')
    other.submit()
    assert other_sent[0].payload == b'{"n":1}'
    # history keeps the template, not the expansion
    assert panel.history_model.template_at(0) == SendTemplate(
        "msg-{{seq}}", '{"n": "{{seq}}", "who": "hi {{env.WHO}}"}'
    )


def test_template_error_inline_with_line_and_column_refuses_send(qtbot: Any) -> None:
    panel, sent = make(qtbot)
    panel.event_edit.setText("e")
    panel.payload_edit.setPlainText('{\n  "a": "{{nope}}"\n}')
    panel.refresh_preview()
    assert not panel.send_button.isEnabled()
    assert "Template: line 2, column 9: unknown variable 'nope'" in panel.error_label.text()
    assert len(panel.payload_edit.extraSelections()) == 1
    assert not panel.preview_label.isVisibleTo(panel)
    panel.submit()  # Ctrl+Enter or a click: refused, nothing sent
    assert sent == []
    # an unset environment variable is an error, not an empty string
    panel.payload_edit.setPlainText('{"a": "{{env.NOT_SET_HERE}}"}')
    panel.refresh_preview()
    assert "NOT_SET_HERE is not set" in panel.error_label.text()
    # not-yet-JSON until expanded is fine
    panel.payload_edit.setPlainText('{"n": {{seq}}}')
    panel.submit()
    assert sent[0].payload == b'{"n":1}'


def test_claims_from_the_token_or_a_clear_error(qtbot: Any) -> None:
    panel, sent = make(qtbot)
    panel.event_edit.setText("who")
    panel.payload_edit.setPlainText('{"sub": "{{claims.sub}}"}')
    panel.refresh_preview()
    assert "needs an identity with a user token" in panel.error_label.text()
    token = jwt.sign({"sub": "user-9", "role": "authenticated"}, "secret")
    panel.set_variables_source(lambda: claims_of(token), env={})
    panel.submit()
    assert sent[0].payload == b'{"sub":"user-9"}'


def test_event_error_and_literal_braces(qtbot: Any) -> None:
    panel, sent = make(qtbot)
    panel.event_edit.setText("{{bad}}")
    panel.payload_edit.setPlainText("{}")
    panel.refresh_preview()
    assert "event name" in panel.error_label.text()
    assert not panel.send_button.isEnabled()
    panel.event_edit.setText("e")
    panel.payload_edit.setPlainText('{"t": "{{{{x}}"}')
    panel.submit()
    assert sent[0].payload == b'{"t":"{{x}}"}'


def test_load_a_saved_binary_message_then_json(qtbot: Any) -> None:
    panel, sent = make(qtbot)
    panel.load(event="blob-{{seq}}", payload="de ad", binary=True, encoding="hex")
    assert panel.binary
    assert panel.binary_input.data() == b"\xde\xad"
    panel.submit()
    assert (sent[0].event, sent[0].payload, sent[0].binary) == ("blob-1", b"\xde\xad", True)
    assert sent[0].template == SendTemplate("blob-{{seq}}", "")
    panel.load(event="e", payload='{"a": 1}', transport=Transport.REST)
    assert not panel.binary
    assert panel.transport is Transport.REST
    panel.submit()
    assert sent[1].payload == b'{"a":1}'
    assert sent[1].template is None  # nothing expanded: the row is the template
