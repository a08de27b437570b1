"""The ``nsview`` console script's entry point: the command list from a stored page, the rest
through typer.

``nsview --help`` (and ``-h``) is what a new user runs first and the one answer that reads
nothing on the host: it is printed from ``nsview/top_help.py``, which ``scripts/gen_docs.py``
writes from the typer app itself (``--check`` and tests/test_launch.py fail when it differs
from what typer prints). It is taken only when typer would print exactly that text: the script
named ``nsview`` (click names the program from argv[0]) and a width of 80 columns or more (click
wraps help to the terminal's width up to 80). Everything else, every other argument included,
goes to ``nsview.cli`` and typer: this module parses nothing (docs/design.md, "Start-up").

When the command is done, ``leave`` ends the process the way the interpreter would, without
its teardown (docs/design.md, "Start-up", "Exit").
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


def leave(code: object) -> None:
    """End the process with ``code`` (a SystemExit's) as the interpreter's exit would: wait for
    threads, run the atexit callbacks, flush stdout and stderr; then ``os._exit``, skipping the
    teardown of every module and object (~9 ms after a command, a tenth of ``tree --json``).
    nsview closes what it writes itself (``with``, ``finally``); a flush that fails is said as
    any failed write is (``errors.stdout_failed``). A code that is not a number (click's
    message), or a thread still running, takes the ordinary exit."""
    if code is None:
        code = 0
    if not isinstance(code, int) or isinstance(code, bool):
        raise SystemExit(code)
    threading = sys.modules.get("threading")
    if threading is not None and any(
        t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()
    ):
        raise SystemExit(code)
    import atexit

    atexit._run_exitfuncs()  # what is registered still runs: a coverage run, a site's cleanup
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except OSError as err:
            if stream is sys.stdout:
                from nsview.errors import stdout_failed

                code = int(stdout_failed(err))
        except ValueError:  # closed by the command (never by nsview): nothing left to write
            pass
    os._exit(code & 0xFF)


def main() -> None:
    if _stored_page_fits(sys.argv):
        _print_stored_page()
        return
    from nsview.cli import main as run

    try:
        run()
    except SystemExit as done:
        leave(done.code)
    else:
        leave(0)
