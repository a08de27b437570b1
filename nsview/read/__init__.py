"""Thin readers: one kernel or engine file through ProcFS/SysFS, handed to its parser.

Each reader is a line or a few (read thin, parse pure); the errors they raise are the kinds in
``nsview.errors``, translated once in ``nsview.procfs``. See docs/design.md.
"""
