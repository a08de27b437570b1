"""Pure parsers: one module per kernel or engine file, bytes or text in, records out.

No I/O here, and no imports but ``nsview.errors`` and ``nsview.model`` (tests/test_architecture.py
checks this): every parser is table-tested with one case per kernel quirk. See docs/design.md.
"""
