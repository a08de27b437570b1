"""The one sanitizer every renderer uses for text that came from a process or a container.

Names, argv, hostnames, cgroup names and mount paths are chosen by whoever runs the container,
and nsview prints them as root into an operator's terminal (docs/hardening.md, rule 1):
- C0 controls (ESC, BEL, TAB, LF ...), DEL and C1 (U+0080-U+009F) become ``\\xNN``: no escape
  sequence, OSC hyperlink or title change can reach the terminal;
- bidi overrides and zero-width characters become ``\\u{XXXX}``: no "Trojan Source" reordering;
- the result is wrapped in ``rich.text.Text``, which never parses markup or ``:emoji:`` codes,
  so ``[/bold]`` and ``[link=...]`` print literally and cannot break the render.
Invalid UTF-8 was already turned into ``\\xNN`` when the bytes were decoded.
JSON output does not use this: it carries the raw value, JSON-escaped.
"""

from __future__ import annotations

from rich.text import Text

_BIDI_AND_INVISIBLE = (
    [0x00AD, 0x061C, 0x180E, 0x2028, 0x2029, 0x2060, 0xFEFF]
    + list(range(0x200B, 0x2010))  # zero-width space/joiners, LRM, RLM
    + list(range(0x202A, 0x202F))  # LRE RLE PDF LRO RLO
    + list(range(0x2066, 0x206A))  # LRI RLI FSI PDI
)

_TABLE: dict[int, str] = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_TABLE.update({c: f"\\u{{{c:04x}}}" for c in _BIDI_AND_INVISIBLE})


def escape(value: str) -> str:
    """Untrusted text -> text with every control and invisible character made visible."""
    return value.translate(_TABLE)


def safe(value: object, style: str = "") -> Text:
    """Untrusted value -> inert rich Text (the only way data should reach rich)."""
    return Text(escape(str(value)), style=style)
