"""Full-text search over a large history, as the editor's chat view pages through it.

- `history_search_ms`: the 95th percentile of `HistoryStore.page(search=...)` over several
  hundred searches (common and rare words, two words, one chat or all, first page and later
  pages), on a database of a million messages; beside it the same searches answered the
  way `page()` used to (the join sorted by rowid before the limit), on a sample.

The database is built once through the real schema and cached under
`.tools/bench-cache/`, keyed by a hash of the schema and of this generator, so re-runs
start at once; a clean checkout builds it in well under a minute.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import itertools
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tgbridge.store.database import open_database
from tgbridge.store.history import HistoryPage, HistoryStore

MESSAGES = 1_000_000
CHATS = 24
VOCABULARY = 5_000
SEED = 20240611
CACHE = Path(__file__).resolve().parents[2] / ".tools" / "bench-cache"
START = 1_650_000_000.0  # dates grow with the rowid, about a minute apart


def _words_of(text: str) -> list[str]:
    return text.split()


# The most frequent words of chat text, most frequent first; the rest of the vocabulary
# is made of syllables and code-ish tokens, ranked by a Zipf law after these.
COMMON = _words_of(
    "the to i a and is it you that of in for on this be not have with do we are but"
    " can was just so what if my me at it's no all there now will get from your they"
    " like one up out ok about when know how build test fix error deploy branch main"
    " merge commit push pr review log file line code run failed works yes thanks"
)
SYLLABLES = _words_of(
    "ka ri to mo sen da li ne ba ro chi pe vu la mi zo te ra ko fu an el or in un"
    " st tr pl gr ex co de re pro con per ver"
)
CODE_SHAPES = (
    "{a}_{b}",
    "{a}{B}",
    "{a}.py",
    "src/{a}/{b}.ts",
    "{A}Error",
    "0x{h}",
    "{a}-{b}",
    "v{n}.{m}.{k}",
    "#{n}{m}{k}",
    "{A}_{B}",
)


def _words(rng: random.Random) -> list[str]:
    """The vocabulary in rank order: common words, then made-up words and code tokens."""
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < VOCABULARY:
        if rng.random() < 0.2:
            a = "".join(rng.choices(SYLLABLES, k=rng.randint(1, 3)))
            b = "".join(rng.choices(SYLLABLES, k=rng.randint(1, 3)))
            word = rng.choice(CODE_SHAPES).format(
                a=a,
                b=b,
                A=a.capitalize(),
                B=b.capitalize(),
                h=f"{rng.getrandbits(16):04x}",
                n=rng.randint(0, 9),
                m=rng.randint(0, 9),
                k=rng.randint(0, 9),
            )
        else:
            word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _zipf_cumulative(count: int, exponent: float = 1.07) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(count)))


@dataclass(frozen=True)
class Chat:
    chat_id: int
    peer_id: int  # who writes to us in it


def _chats() -> list[Chat]:
    """Private chats with users and groups (negative ids), of Zipf-like sizes."""
    chats = []
    for n in range(CHATS):
        if n % 3 == 2:
            chats.append(Chat(-1_001_000_000_000 - n, 700_000_000 + n))
        else:
            chats.append(Chat(500_000_000 + n, 500_000_000 + n))
    return chats


Row = tuple[int, int, int, int, str, int | None, float, float | None, str | None]


def _rows(words: list[str], chats: list[Chat], rng: random.Random) -> Iterator[Row]:
    """Messages oldest first: a few words to a few dozen, Zipf-distributed."""
    word_weights = _zipf_cumulative(len(words))
    chat_weights = _zipf_cumulative(len(chats), exponent=1.0)
    next_id = dict.fromkeys((chat.chat_id for chat in chats), 0)
    date = START
    batch = 10_000
    for _ in range(MESSAGES // batch):
        picked = rng.choices(chats, cum_weights=chat_weights, k=batch)
        lengths = [min(60, 1 + int(rng.expovariate(1 / 9))) for _ in range(batch)]
        vocabulary = iter(rng.choices(words, cum_weights=word_weights, k=sum(lengths)))
        for chat, length in zip(picked, lengths, strict=True):
            next_id[chat.chat_id] += 1
            message_id = next_id[chat.chat_id]
            outgoing = rng.random() < 0.3
            date += rng.expovariate(1 / 60)
            reply_to = max(1, message_id - rng.randint(1, 20)) if rng.random() < 0.1 else None
            file_path = (
                f"/state/files/{chat.chat_id}/{message_id}-log.txt" if rng.random() < 0.02 else None
            )
            yield (
                chat.chat_id,
                message_id,
                0 if outgoing else chat.peer_id,
                int(outgoing),
                " ".join(itertools.islice(vocabulary, length)),
                reply_to,
                date,
                None,
                file_path,
            )


def _schema_key() -> str:
    """The schema an empty database gets today, and the code that makes the data."""
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "schema.db")
        rows = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        schema = [tuple(row) for row in rows]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        db.close()
    generator = [inspect.getsource(f) for f in (_words, _zipf_cumulative, _chats, _rows, build)]
    facts = (schema, version, generator, COMMON, SYLLABLES, CODE_SHAPES)
    constants = (MESSAGES, CHATS, VOCABULARY, SEED, START)
    return hashlib.sha256(repr((facts, constants)).encode()).hexdigest()[:16]


def build(path: Path) -> None:
    """Writes the messages in one transaction through the real schema and its triggers."""
    rng = random.Random(SEED)
    words = _words(rng)
    db = open_database(path)
    try:
        db.execute("PRAGMA cache_size = -262144")  # 256 MiB: the index is written once, at commit
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO messages (chat_id, message_id, sender_id, outgoing, text, reply_to,"
            " date, edit_date, file_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _rows(words, _chats(), rng),
        )
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def cached_database() -> tuple[Path, float | None]:
    """The cached database, built first when missing; with the seconds the build took."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"history-{_schema_key()}.db"
    if path.exists():
        return path, None
    for stale in CACHE.glob("history-*"):
        # Databases of older schemas go, and builds cut short an hour ago; not a build
        # another run is making now.
        with contextlib.suppress(FileNotFoundError):
            if ".building-" not in stale.name or stale.stat().st_mtime < time.time() - 3600:
                stale.unlink()
    building = path.with_name(f"{path.stem}.building-{os.getpid()}")
    started = time.perf_counter()
    build(building)
    elapsed = time.perf_counter() - started
    os.replace(building, path)
    return path, elapsed


@dataclass(frozen=True)
class Search:
    kind: str
    text: str
    chat_id: int | None
    pages: int  # 1: the first page only; more: then older pages through the cursor


def searches(count: int) -> list[Search]:
    """A mix as people search a chat view: common, middling and rare words, two words,
    code-ish tokens, words that never occur; in one chat or all; first and later pages."""
    words = _words(random.Random(SEED))
    codeish = [w for w in words[len(COMMON) :] if not w.isalpha()]
    chats = _chats()
    rng = random.Random(SEED + 1)
    kinds: dict[str, Callable[[], str]] = {
        "common word": lambda: rng.choice(words[:40]),
        "middling word": lambda: rng.choice(words[100:1000]),
        "rare word": lambda: rng.choice(words[3000:]),
        "two common words": lambda: " ".join(rng.sample(words[:150], 2)),
        "common and rare word": lambda: f"{rng.choice(words[:80])} {rng.choice(words[1000:])}",
        "code token": lambda: rng.choice(codeish),
        "absent word": lambda: "qq" + "".join(rng.choices(SYLLABLES, k=3)),
    }
    result = []
    for n in range(count):
        kind = list(kinds)[n % len(kinds)]
        chat_id = rng.choice(chats).chat_id if rng.random() < 0.5 else None
        pages = 1 if rng.random() < 0.6 else rng.randint(2, 4)
        result.append(Search(kind, kinds[kind](), chat_id, pages))
    return result


Page = Callable[[int | None, str, int | None], HistoryPage]


def timed(page: Page, search: Search) -> list[float]:
    """Milliseconds per page: the first, then older ones while there are any."""
    times: list[float] = []
    before: int | None = None
    for _ in range(search.pages):
        started = time.perf_counter()
        result = page(search.chat_id, search.text, before)
        times.append((time.perf_counter() - started) * 1000)
        if (before := result.next_cursor) is None:
            break
    return times


def joined_and_sorted(db: sqlite3.Connection) -> Page:
    """The baseline: the search as `page()` answered it before, every match joined and
    sorted by rowid before the limit."""

    def page(chat_id: int | None, search: str, before: int | None) -> HistoryPage:
        where = ["messages_fts MATCH ?"]
        args: list[str | int] = [" ".join('"' + w.replace('"', '""') + '"' for w in search.split())]
        if chat_id is not None:
            where.append("m.chat_id = ?")
            args.append(chat_id)
        if before is not None:
            where.append("m.rowid < ?")
            args.append(before)
        rows = db.execute(
            "SELECT m.rowid AS cursor FROM messages_fts f JOIN messages m ON m.rowid = f.rowid"
            f" WHERE {' AND '.join(where)} ORDER BY m.rowid DESC LIMIT ?",
            (*args, LIMIT + 1),
        ).fetchall()
        more = len(rows) > LIMIT
        return HistoryPage([], rows[LIMIT - 1]["cursor"] if more else None)

    return page


LIMIT = 50  # the editor's page


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def history_line(passes: int = 3, queries: int = 420, sampled: int = 42) -> str:
    """The p95 of each pass over the mix, median of the passes; the baseline on the first
    `sampled` searches (it takes tens of milliseconds a page), interleaved with ours."""
    path, built = cached_database()
    db = open_database(path)
    try:
        store = HistoryStore(db)
        messages = db.execute("SELECT count(*) FROM messages").fetchone()[0]

        def ours(chat_id: int | None, search: str, before: int | None) -> HistoryPage:
            return store.page(chat_id=chat_id, search=search, before=before, limit=LIMIT)

        baseline = joined_and_sorted(db)
        mix = searches(queries)
        for search in mix[:20]:  # warm-up: the first reads of the file
            timed(ours, search)
        figures: list[float] = []
        pages = 0
        for _ in range(passes):
            times = [ms for search in mix for ms in timed(ours, search)]
            figures.append(p95(times))
            pages = len(times)
        theirs_sample: list[float] = []
        ours_sample: list[float] = []
        for search in mix[:sampled]:
            theirs_sample += timed(baseline, search)
            ours_sample += timed(ours, search)
    finally:
        db.close()
    figure = statistics.median(figures)
    ratio = p95(ours_sample) / p95(theirs_sample)
    build = f"built in {built:.1f} s" if built is not None else "cached"
    return (
        f"history_search_ms: {figure:.2f} ms at {messages} messages (p95 of {pages} pages, median"
        f" of {passes} passes; baseline join-and-sort: {p95(theirs_sample):.2f} ms, ratio:"
        f" {ratio:.3f}, on {len(ours_sample)} of them; database {build})"
    )


if __name__ == "__main__":
    print(history_line(), flush=True)
