"""Rendering editor text into Telegram messages."""

from __future__ import annotations

from functools import partial

from hypothesis import given, settings
from hypothesis import strategies as st
from telethon.helpers import add_surrogate
from telethon.tl.types import (
    MessageEntityBold,
    MessageEntityCode,
    MessageEntityItalic,
    MessageEntityPre,
    TypeMessageEntity,
)

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

CODE_ENTITIES = (MessageEntityPre, MessageEntityCode)


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


def spans(entities: list[TypeMessageEntity]) -> list[tuple[type, int, int]]:
    return [(type(e), e.offset, e.length) for e in entities]


def assert_split(whole: Part, parts: list[Part], limit: int) -> None:
    """What split() promises (see render.py): exact slices in order, whitespace between
    them only where Telegram would trim it anyway, none inside code."""
    units = add_surrogate(whole.text)
    at = 0
    for piece in parts:
        assert_valid(piece, limit)
        text = add_surrogate(piece.text)
        assert not text[-1].isspace()
        if text[0].isspace():
            assert any(isinstance(e, CODE_ENTITIES) and e.offset == 0 for e in piece.entities)
        start = units.index(text, at)
        assert not units[at:start].strip()
        visible = len(units) - len(units[at:].lstrip())
        for e in whole.entities:
            inside = e.offset <= at and visible < e.offset + e.length
            if isinstance(e, CODE_ENTITIES) and inside and visible - at <= limit - 2:
                assert start == at, "whitespace inside code was dropped"
        end = start + len(text)
        clipped = [
            (
                type(e),
                max(e.offset, start) - start,
                min(e.offset + e.length, end) - max(e.offset, start),
            )
            for e in whole.entities
            if max(e.offset, start) < min(e.offset + e.length, end)
        ]
        assert spans(piece.entities) == clipped
        at = end
    assert not units[at:].strip()


def test_markdown_becomes_entities() -> None:
    part = parse_markdown("**Build** failed in `make test`")
    assert part.text == "Build failed in make test"
    assert [type(e) for e in part.entities] == [MessageEntityBold, MessageEntityCode]
    assert entity_text(part, 0) == "Build"
    assert entity_text(part, 1) == "make test"


def test_fenced_code_keeps_its_language_and_only_its_lines() -> None:
    part = parse_markdown("Look:\n```python\nprint('hi')\n```\n**done**")
    pre = next(e for e in part.entities if isinstance(e, MessageEntityPre))
    assert pre.language == "python"
    assert entity_text(part, part.entities.index(pre)) == "print('hi')"
    assert entity_text(part, len(part.entities) - 1) == "done"


def test_a_leading_code_block_keeps_its_indentation() -> None:
    part = parse_markdown("```\n    indented()\n  less()\n```")
    assert part.text.startswith("    indented()\n  less()")
    assert entity_text(part, 0) == "    indented()\n  less()"
    [piece] = split(part)
    assert piece.text == "    indented()\n  less()"
    assert spans(piece.entities) == [(MessageEntityPre, 0, piece.length)]


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
    assert_split(part, parts, TEXT_LIMIT)
    assert "".join(piece.text for piece in parts) == part.text
    for piece in parts:
        pres = [e for e in piece.entities if isinstance(e, MessageEntityPre)]
        assert len(pres) == 1 and pres[0].language == "python"
    assert parts[0].text.startswith("big.py\n")
    for piece in parts[1:]:  # each continuation is all code: it opens with a line break
        assert piece.text.startswith("\nvalue_")
        assert spans(piece.entities) == [(MessageEntityPre, 0, piece.length)]


def test_continuation_parts_of_code_keep_indentation_exactly() -> None:
    code = "\n".join(
        " " * (4 * (i % 5)) + f"step({i})  # 😀" + ("\n" if i % 7 == 0 else "") for i in range(60)
    )
    part = code_block(code, "python")
    parts = split(part, 120)
    assert len(parts) > 10
    assert_split(part, parts, 120)
    assert "".join(piece.text for piece in parts) == code
    for piece in parts:
        assert spans(piece.entities) == [(MessageEntityPre, 0, piece.length)]
        assert piece.entities[0].language == "python"


def test_a_line_without_whitespace_is_cut_between_characters_never_inside_one() -> None:
    text = "x" + "😀" * 5000  # the limit falls between the halves of a pair
    parts = split(Part(text, [MessageEntityItalic(offset=0, length=10_001)]))
    assert [piece.length for piece in parts] == [4095, 4096, 1810]
    assert "".join(piece.text for piece in parts) == text
    assert all(spans(p.entities) == [(MessageEntityItalic, 0, p.length)] for p in parts)


def test_prose_is_cut_at_a_line_break_which_telegram_would_trim() -> None:
    lines = [f"line {i} of prose" for i in range(600)]
    parts = split(Part("\n".join(lines)))
    assert "\n".join(piece.text for piece in parts) == "\n".join(lines)


def test_whitespace_alone_gives_no_parts() -> None:
    assert split(Part(" \n\t ")) == []


def test_ten_thousand_characters_go_as_document_above_the_setting() -> None:
    part = code_block("x = 1\n" * 1700, "python", "long.py")
    assert part.length > 10_000
    document = render(part, document_above=8000, file_name="long.py", content="x = 1\n" * 1700)
    assert isinstance(document, AsDocument)
    assert document.content == "x = 1\n" * 1700
    assert_valid(document.caption, CAPTION_LIMIT)
    assert isinstance(render(part, document_above=50_000, file_name="long.py"), list)


def test_caption_is_cut_to_1024_without_breaking_a_surrogate_pair() -> None:
    part = Part("😀" * 600, [MessageEntityBold(offset=0, length=1200)])
    cut = caption(part)
    assert_valid(cut, CAPTION_LIMIT)
    assert cut.text.endswith("…")
    cut.text.encode("utf-8")  # no lone surrogate


words = st.sampled_from(
    ["alpha", "**bold**", "`code`", "__it__", "😀", "ünï", "x" * 30, "    ", "\t", "```"]
)
lines = st.lists(words, min_size=0, max_size=12).map(" ".join)
blocks = st.one_of(
    lines,
    st.lists(lines, min_size=1, max_size=30).map(
        lambda ls: "```python\n" + "\n".join(ls) + "\n```"
    ),
)
# Any text at all (astral characters included), Markdown-like text, and long runs with
# no whitespace or only whitespace.
sources = st.one_of(
    st.text(),
    st.lists(blocks, min_size=1, max_size=120).map("\n".join),
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["😀" * 2100, "x" * 4200, " " * 300, "\n" * 80, "```", "**"]),
        ),
        max_size=8,
    ).map("".join),
)
limits = st.one_of(st.integers(2, 80), st.integers(2, TEXT_LIMIT))


@st.composite
def with_entities(draw: st.DrawFn) -> Part:
    text = draw(sources)
    kinds = st.sampled_from(
        [MessageEntityBold, MessageEntityCode, partial(MessageEntityPre, language="c")]
    )
    points = st.integers(0, len(text))
    entities: list[TypeMessageEntity] = []
    for kind, a, b in draw(st.lists(st.tuples(kinds, points, points), max_size=6)):
        a, b = sorted((a, b))
        if a < b:
            offset = len(add_surrogate(text[:a]))
            entities.append(kind(offset=offset, length=len(add_surrogate(text[a:b]))))
    return Part(text, entities)


wholes = st.one_of(
    sources.map(parse_markdown),
    st.builds(code_block, sources, st.sampled_from(["", "python"]), st.sampled_from(["", "a.py"])),
    with_entities(),
)


@settings(max_examples=300, deadline=None)
@given(wholes, limits)
def test_any_text_splits_into_valid_parts_that_join_back(whole: Part, limit: int) -> None:
    assert_split(whole, split(whole, limit), limit)


@settings(max_examples=100, deadline=None)
@given(sources)
def test_markdown_without_markup_is_kept_as_is(source: str) -> None:
    plain = "".join(c for c in source if c not in "*_`[]~|")
    assert parse_markdown(plain).text == plain


def test_the_history_keeps_code_as_fences_and_inline_code_in_backticks() -> None:
    from tgbridge.telegram.render import with_fences

    text = "😀 src/app.py:1-2 run make then\nprint('hi')"
    units = add_surrogate(text)
    entities: list[TypeMessageEntity] = [
        MessageEntityBold(units.index("src"), len("src/app.py:1-2")),
        MessageEntityCode(units.index("make"), 4),
        MessageEntityPre(units.index("print"), len("print('hi')"), "python"),
    ]
    assert with_fences(text, entities) == (
        "😀 src/app.py:1-2 run `make` then\n```python\nprint('hi')\n```"
    )
    ending = [MessageEntityPre(0, 3, "")]
    assert with_fences("ab\n", ending) == "```\nab\n```"
    assert with_fences("plain", []) == "plain"
