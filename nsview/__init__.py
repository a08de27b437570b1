"""nsview: what a Linux container really is, as the kernel sees it from the host."""

__version__ = "0.1.0"
