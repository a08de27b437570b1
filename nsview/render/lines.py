"""Output that is written line by line as it is produced, without rich: `nsview changes` prints
`docker diff`'s lines while the walk goes on, so a huge upper layer never sits in memory as a
rendered page. Every line is already inert (render/sanitize.escape)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from nsview.model.record import record


@record
class Lines:
    out: Iterable[str]  # stdout, one line each
    notes: Callable[[], Iterable[str]]  # stderr, asked for once ``out`` is written
