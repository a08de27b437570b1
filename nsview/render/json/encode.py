"""Writing a JSON view: the same text as ``json.dumps(doc, indent=2, ensure_ascii=True)``, in
about half its time and without holding the whole document as text.

The standard library's encoder is written in C only for compact output; with ``indent`` it
falls back to a generator per nesting level, and ``json.dumps`` joins every chunk it yields
into one list first (at 10 000 processes that list was the largest thing nsview held, see
bench/README.md). Here strings still go through the C escaper, the structure is walked by one
recursive function, and the chunks are written out in batches as they come.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    # json's own C quoting, without importing the json package (its decoder and scanner: ~1 ms
    # of every --json start-up; docs/design.md, "Start-up").
    from _json import encode_basestring_ascii as _quote
except ImportError:  # an interpreter without the accelerator
    from json.encoder import encode_basestring_ascii as _quote

_BATCH = 8192  # chunks per write: big enough to amortise the call, small next to the document
_INF = float("inf")


def _number(value: float) -> str:
    # what json.dumps writes (allow_nan=True): NaN and the infinities as JavaScript names
    if value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return float.__repr__(value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return _quote(key)
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return f'"{int.__repr__(key)}"'
    if isinstance(key, float):
        return f'"{_number(key)}"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def write_json(doc: Any, write: Callable[[str], object]) -> None:
    """``doc`` as indented JSON (two spaces, ASCII only), then a newline, through ``write``."""
    out: list[str] = []
    add = out.append

    def flush() -> None:
        write("".join(out))
        out.clear()

    def encode(value: Any, indent: str) -> None:
        if isinstance(value, str):
            add(_quote(value))
        elif value is None:
            add("null")
        elif value is True:
            add("true")
        elif value is False:
            add("false")
        elif isinstance(value, int):
            add(int.__repr__(value))
        elif isinstance(value, float):
            add(_number(value))
        elif isinstance(value, dict):
            if not value:
                add("{}")
                return
            inner = indent + "  "
            add("{\n" + inner)
            first = True
            for key, item in value.items():
                if not first:
                    add(",\n" + inner)
                first = False
                add(_key(key))
                add(": ")
                encode(item, inner)
            add("\n" + indent + "}")
        elif isinstance(value, list | tuple):
            if not value:
                add("[]")
                return
            inner = indent + "  "
            add("[\n" + inner)
            first = True
            for item in value:
                if not first:
                    add(",\n" + inner)
                first = False
                encode(item, inner)
            add("\n" + indent + "]")
        else:
            raise TypeError(f"{type(value).__name__} is not JSON serializable")
        if len(out) >= _BATCH:
            flush()

    encode(doc, "")
    add("\n")
    flush()
