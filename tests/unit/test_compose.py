"""Composing a send request into outbox messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tgbridge.errors import BridgeError
from tgbridge.protocol import CodeSelection, FileToSend, Position, Range, SendParams
from tgbridge.store.outbox_store import NewMessage
from tgbridge.telegram.compose import compose
from tgbridge.telegram.render import CAPTION_LIMIT, TEXT_LIMIT


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def assert_payload(message: NewMessage) -> None:
    text = message.payload["text" if message.kind == "text" else "caption"]
    limit = TEXT_LIMIT if message.kind == "text" else CAPTION_LIMIT
    assert units(text) <= limit
    text.encode("utf-8")  # well-formed: no lone surrogate reaches Telegram
    for entity in message.payload.get("entities", []):
        assert entity["length"] > 0 and entity["offset"] >= 0
        assert entity["offset"] + entity["length"] <= units(text)


def selection(code: str, first: int = 0, last: int = 0) -> CodeSelection:
    lines = Range(start=Position(line=first, character=0), end=Position(line=last, character=0))
    return CodeSelection(text=code, language="python", path="src/app.py", range=lines)


def indented_code(lines: int) -> str:
    return "\n".join("    " * (n % 4) + f"step_{n}()  # 😀 {n}" for n in range(lines)) + "\n"


def compose_in(tmp_path: Path, params: SendParams, document_above: int = 50_000) -> Any:
    return compose(params, document_above=document_above, outgoing_dir=tmp_path / "outgoing")


def test_markdown_text_becomes_one_message_with_entities(tmp_path: Path) -> None:
    [message] = compose_in(tmp_path, SendParams(text="**Build** failed"))
    assert message.kind == "text" and message.payload["text"] == "Build failed"
    assert [e["_"] for e in message.payload["entities"]] == ["MessageEntityBold"]


def test_long_code_is_split_into_parts_that_join_to_the_exact_code(tmp_path: Path) -> None:
    code = indented_code(600)
    messages = compose_in(tmp_path, SendParams(code=selection(code, 9, 608)))
    assert len(messages) > 3 and {m.kind for m in messages} == {"text"}
    for message in messages:
        assert_payload(message)
        [pre] = [e for e in message.payload["entities"] if e["_"] == "MessageEntityPre"]
        assert pre["language"] == "python"
    joined = "".join(m.payload["text"] for m in messages)
    assert joined == "src/app.py:10-609\n" + code.rstrip("\n")


def test_long_code_goes_as_a_document_of_exactly_the_code(tmp_path: Path) -> None:
    code = "def main():\r\n" + indented_code(600).replace("\n", "\r\n")
    [message] = compose_in(tmp_path, SendParams(code=selection(code, 9, 609)), 8_000)
    assert message.kind == "file"
    path = Path(message.payload["path"])
    assert path.name == "app.py" and path.is_relative_to(tmp_path / "outgoing")
    assert path.read_bytes() == code.encode() and message.payload["copy"] is True
    assert message.payload["caption"].startswith("src/app.py:10-610\n")
    assert_payload(message)


def test_long_markdown_goes_as_a_document_of_its_source(tmp_path: Path) -> None:
    text = "\n".join(f"**Line {n}** of notes 😀" for n in range(1000))
    [message] = compose_in(tmp_path, SendParams(text=text), 8_000)
    path = Path(message.payload["path"])
    assert path.name == "message.md" and path.read_text() == text
    assert message.payload["caption"].startswith("Line 0 of notes")
    assert_payload(message)


def test_a_huge_paste_goes_as_its_source_with_a_formatted_caption(tmp_path: Path) -> None:
    # 20,000 entities: parsing all of it would hold the hub for seconds; only the head is.
    text = "\n".join(f"**step {n}** `make target_{n}` finished" for n in range(20_000))
    [message] = compose_in(tmp_path, SendParams(text=text), 12_000)
    assert Path(message.payload["path"]).read_text() == text
    assert message.payload["caption"].startswith("step 0 make target_0 finished")
    assert units(message.payload["caption"]) <= CAPTION_LIMIT
    assert {e["_"] for e in message.payload["entities"]} == {
        "MessageEntityBold",
        "MessageEntityCode",
    }
    assert_payload(message)


def test_a_file_caption_is_held_to_the_caption_limit(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("ok")
    [short] = compose_in(tmp_path, SendParams(file=FileToSend(path=str(report), caption="done")))
    assert short == NewMessage("file", {"path": str(report), "caption": "done"})
    long = FileToSend(path=str(report), caption="😀" * 1000)
    [message] = compose_in(tmp_path, SendParams(file=long))
    assert_payload(message)
    assert message.payload["caption"].endswith("…") and units(message.payload["caption"]) > 1000


def test_what_cannot_be_sent_is_refused(tmp_path: Path) -> None:
    refused = [
        (SendParams(text="a", file=FileToSend(path="/x")), "exactly one"),
        (SendParams(), "exactly one"),
        (SendParams(file=FileToSend(path=str(tmp_path / "gone"))), "No such file"),
        (SendParams(text=" \n\t "), "nothing to send"),
    ]
    for params, reason in refused:
        with pytest.raises(BridgeError, match=reason) as raised:
            compose_in(tmp_path, params)
        assert raised.value.code == "invalid_params"


def test_a_lone_surrogate_is_replaced_not_fatal(tmp_path: Path) -> None:
    [message] = compose_in(tmp_path, SendParams(text="half \ud83d of a smile"))
    assert message.payload["text"] == "half \ufffd of a smile"


any_text = st.text(st.characters(exclude_categories=()), max_size=3000)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(any_text, st.booleans(), st.integers(1, 5000))
def test_any_text_or_code_composes_into_valid_messages(
    tmp_path: Path, text: str, as_code: bool, document_above: int
) -> None:
    params = SendParams(code=CodeSelection(text=text)) if as_code else SendParams(text=text)
    try:
        messages = compose_in(tmp_path, params, document_above)
    except BridgeError as error:
        assert (error.code, error.message) == ("invalid_params", "There is nothing to send.")
        return
    assert messages
    for message in messages:
        assert_payload(message)
