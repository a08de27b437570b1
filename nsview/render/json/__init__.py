"""JSON builders: model records in, plain dicts out. Never import rich (tests/test_architecture.py)."""
