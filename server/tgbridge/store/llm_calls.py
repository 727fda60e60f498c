"""The language-model calls /analytics counts: one row per call, answered or failed. The
table is bounded: past `MAX_CALLS` rows the oldest go."""

from __future__ import annotations

import sqlite3
import statistics
from collections import Counter
from dataclasses import dataclass, field

from tgbridge.llm.errors import LlmError
from tgbridge.llm.types import LlmResult, Task

LATENCY_SAMPLE = 5000  # the newest answered calls whose latencies give the median
MAX_CALLS = 100_000  # years of use at hundreds of calls a day; a few MB


@dataclass(frozen=True)
class LlmSummary:
    calls: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    median_latency_ms: float | None = None  # of answered calls; None: none answered
    by_provider: dict[str, int] = field(default_factory=dict)  # calls, most used first


def record(
    db: sqlite3.Connection,
    task: Task,
    outcome: LlmResult | LlmError,
    *,
    at: float,
    cap: int = MAX_CALLS,
) -> None:
    """One row for a call: the answer's figures, or the error's kind (a call no provider
    was asked for is recorded under provider "none"); then the rows past `cap` go, oldest
    first."""
    values: tuple[object, ...]
    if isinstance(outcome, LlmResult):
        values = (
            outcome.provider,
            outcome.model,
            outcome.input_tokens,
            outcome.output_tokens,
            outcome.latency_ms,
            outcome.first_token_ms,
            1,
            None,
        )
    else:
        provider, model = outcome.provider or "none", outcome.model or ""
        values = (provider, model, None, None, None, None, 0, outcome.kind)
    db.execute(
        "INSERT INTO llm_calls (at, task, provider, model, input_tokens, output_tokens,"
        " latency_ms, first_token_ms, ok, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, task, *values),
    )
    # Ids only grow: the oldest rows are a range of the primary key (no scan, no count).
    db.execute("DELETE FROM llm_calls WHERE id <= (SELECT max(id) FROM llm_calls) - ?", (cap,))


def summary(db: sqlite3.Connection, since: float) -> LlmSummary:
    row = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE ok = 0), total(input_tokens),"
        " total(output_tokens) FROM llm_calls WHERE at >= ?",
        (since,),
    ).fetchone()
    if not row[0]:
        return LlmSummary()
    latencies = [
        float(latency)
        for (latency,) in db.execute(
            "SELECT latency_ms FROM llm_calls WHERE at >= ? AND ok = 1"
            " AND latency_ms IS NOT NULL ORDER BY id DESC LIMIT ?",
            (since, LATENCY_SAMPLE),
        )
    ]
    providers: Counter[str] = Counter(
        {
            str(provider): int(count)
            for provider, count in db.execute(
                "SELECT provider, count(*) FROM llm_calls WHERE at >= ? GROUP BY provider",
                (since,),
            )
        }
    )
    return LlmSummary(
        calls=int(row[0]),
        failed=int(row[1]),
        input_tokens=int(row[2]),
        output_tokens=int(row[3]),
        median_latency_ms=statistics.median(latencies) if latencies else None,
        by_provider=dict(sorted(providers.items(), key=lambda item: (-item[1], item[0]))),
    )
