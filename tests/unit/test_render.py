"""Rendering editor text into Telegram messages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from telethon.helpers import add_surrogate
from telethon.tl.types import MessageEntityBold, MessageEntityCode, MessageEntityPre

from tgbridge.telegram.render import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    AsDocument,
    Part,
    caption,
    code_block,
    parse_markdown,
    render,
    split,
)


def entity_text(part: Part, index: int) -> str:
    entity = part.entities[index]
    units = add_surrogate(part.text)[entity.offset : entity.offset + entity.length]
    decoded: str = units.encode("utf-16", "surrogatepass").decode("utf-16")
    return decoded


def assert_valid(part: Part, limit: int = TEXT_LIMIT) -> None:
    assert 0 < part.length <= limit
    for entity in part.entities:
        assert entity.length > 0
        assert entity.offset >= 0 and entity.offset + entity.length <= part.length


def test_markdown_becomes_entities() -> None:
    part = parse_markdown("**Build** failed in `make test`")
    assert part.text == "Build failed in make test"
    assert [type(e) for e in part.entities] == [MessageEntityBold, MessageEntityCode]
    assert entity_text(part, 0) == "Build"
    assert entity_text(part, 1) == "make test"


def test_fenced_code_keeps_its_language() -> None:
    part = parse_markdown("Look:\n```python\nprint('hi')\n```\n**done**")
    pre = next(e for e in part.entities if isinstance(e, MessageEntityPre))
    assert pre.language == "python"
    assert entity_text(part, part.entities.index(pre)).strip() == "print('hi')"
    assert entity_text(part, len(part.entities) - 1) == "done"


def test_code_goes_as_pre_with_its_language_under_a_bold_header() -> None:
    part = code_block("def f():\n    return 1\n", "python", "app.py:3-4")
    assert part.text == "app.py:3-4\ndef f():\n    return 1"
    assert entity_text(part, 0) == "app.py:3-4"
    pre = part.entities[1]
    assert isinstance(pre, MessageEntityPre) and pre.language == "python"
    assert entity_text(part, 1) == "def f():\n    return 1"


def test_long_code_splits_on_lines_and_every_part_stays_a_code_block() -> None:
    lines = [f"value_{i} = {i} * 2  # 😀 emoji counts twice" for i in range(400)]
    part = code_block("\n".join(lines), "python", "big.py")
    parts = split(part)
    assert len(parts) > 3
    for piece in parts:
        assert_valid(piece)
        pres = [e for e in piece.entities if isinstance(e, MessageEntityPre)]
        assert len(pres) == 1 and pres[0].language == "python"
    code_lines = [line for piece in parts for line in piece.text.split("\n")]
    assert code_lines == ["big.py", *lines]


def test_ten_thousand_characters_go_as_document_above_the_setting() -> None:
    part = code_block("x = 1\n" * 1700, "python", "long.py")
    assert part.length > 10_000
    document = render(part, document_above=8000, file_name="long.py")
    assert isinstance(document, AsDocument)
    assert document.content == part.text
    assert_valid(document.caption, CAPTION_LIMIT)
    assert isinstance(render(part, document_above=50_000, file_name="long.py"), list)


def test_caption_is_cut_to_1024_without_breaking_a_surrogate_pair() -> None:
    part = Part("😀" * 600, [MessageEntityBold(offset=0, length=1200)])
    cut = caption(part)
    assert_valid(cut, CAPTION_LIMIT)
    assert cut.text.endswith("…")
    cut.text.encode("utf-8")  # no lone surrogate


words = st.sampled_from(["alpha", "**bold**", "`code`", "__it__", "😀", "ünï", "x" * 30])
lines = st.lists(words, min_size=0, max_size=12).map(" ".join)
blocks = st.one_of(
    lines,
    st.lists(lines, min_size=1, max_size=30).map(
        lambda ls: "```python\n" + "\n".join(ls) + "\n```"
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(blocks, min_size=1, max_size=120).map("\n".join), st.integers(200, TEXT_LIMIT))
def test_any_split_gives_valid_parts_that_keep_all_the_words(source: str, limit: int) -> None:
    whole = parse_markdown(source)
    if not whole.text.strip():
        return
    parts = split(whole, limit)
    for piece in parts:
        assert_valid(piece, limit)
    assert " ".join(p.text for p in parts).split() == whole.text.split()
