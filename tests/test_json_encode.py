"""The JSON writer (nsview/render/json/encode.py) against the standard library's encoder: the
same text, byte for byte, on every shape a view can hold, and in batches."""

from __future__ import annotations

import json
import math

import pytest

from nsview.render.json.encode import write_json

SHAPES = [
    {},
    [],
    {"a": [], "b": {}, "c": [{}], "d": [[]]},
    {"s": "plain", "esc": 'q"\\\n\t\x00\x1f', "uni": "é☃𝄞", "hostile": "\x1b[31mred\u202e"},
    {"ints": [0, -1, 2**64, True, False, None], "floats": [0.1, -2.5e-300, 1e300, 3.0]},
    {"nan": math.nan, "inf": math.inf, "-inf": -math.inf},
    {1: "int key", 2.5: "float key", None: "null key"},
    {True: "bool key", False: "another"},
    {"tuple": (1, ("x", {"deep": [1, [2, [3, {"z": None}]]]}))},
    [{"pid": i, "args": ["sleep", str(i)], "limits": {"memory": i * 4096}} for i in range(3000)],
]


@pytest.mark.parametrize("doc", SHAPES, ids=range(len(SHAPES)))
def test_same_text_as_json_dumps(doc: object) -> None:
    parts: list[str] = []
    write_json(doc, parts.append)
    assert "".join(parts) == json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def test_large_documents_are_written_in_batches() -> None:
    doc = [{"i": i} for i in range(10_000)]
    parts: list[str] = []
    write_json(doc, parts.append)
    assert len(parts) > 2  # written as it goes, not as one string at the end
    assert json.loads("".join(parts)) == doc


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError):
        write_json({"x": object()}, lambda _s: None)
    with pytest.raises(TypeError):
        write_json({(1, 2): "tuple key"}, lambda _s: None)
