"""A UTS namespace's names, as uname(2) gives them inside it."""

from __future__ import annotations

from nsview.model.record import record


@record
class UtsInfo:
    hostname: str
    domainname: str
