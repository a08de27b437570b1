"""One value read from the kernel, or why there is none: what each side of a `diff` section
and each item of a privileges report holds. Its own module so that `nsview ps`, which reads
privileges, does not load the diff model."""

from __future__ import annotations

from typing import Generic, TypeVar

from nsview.model.record import record

T = TypeVar("T")


@record
class Reading(Generic[T]):
    value: T | None = None
    error: str | None = None  # "not available" reason when value is None

    @property
    def ok(self) -> bool:
        return self.error is None
