"""A UTS namespace's names, as uname(2) gives them inside it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UtsInfo:
    hostname: str
    domainname: str
