"""The ``nsview`` console script's entry point: the command list from a stored page, the rest
through typer.

``nsview --help`` (and ``-h``) is what a new user runs first and the one answer that reads
nothing on the host: it is printed from ``nsview/top_help.py``, which ``scripts/gen_docs.py``
writes from the typer app itself (``--check`` and tests/test_launch.py fail when it differs
from what typer prints). It is taken only when typer would print exactly that text: the script
named ``nsview`` (click names the program from argv[0]) and a width of 80 columns or more (click
wraps help to the terminal's width up to 80). Everything else, every other argument included,
goes to ``nsview.cli`` and typer: this module parses nothing (docs/design.md, "Start-up").
"""

from __future__ import annotations

import os
import sys

# click's help width: min(terminal columns, 80) - 2, never below 50
_WIDE = 80


def _columns() -> int:
    """The terminal width as shutil.get_terminal_size computes it, without importing shutil."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _stored_page_fits(argv: list[str]) -> bool:
    return (
        argv[1:] in (["--help"], ["-h"])
        and os.path.basename(argv[0]) == "nsview"
        and not getattr(sys.modules.get("__main__"), "__package__", None)  # not `python -m nsview`
        and "_NSVIEW_COMPLETE" not in os.environ
        and _columns() >= _WIDE
    )


def _print_stored_page() -> None:
    from nsview.top_help import TEXT

    try:
        sys.stdout.write(TEXT)
        sys.stdout.flush()
    except OSError as err:  # a closed pipe, a full disk: as nsview.cli says it
        from nsview.errors import stdout_failed

        sys.exit(int(stdout_failed(err)))


def main() -> None:
    if _stored_page_fits(sys.argv):
        _print_stored_page()
        return
    from nsview.cli import main as run

    run()
