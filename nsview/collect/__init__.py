"""Parsers (pure: text in, records out) and the thin readers that feed them from a ProcFS/SysFS."""
