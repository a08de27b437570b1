"""``record`` against the standard library's frozen slotted dataclass it stands in for: the second
source here is ``@dataclass(frozen=True, slots=True)`` with the same fields (docs/design.md,
"Start-up")."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

import pytest

from nsview.model.record import record

T = TypeVar("T")


@record
class Point:
    """A test record."""

    x: int
    y: str = "a"
    tags: tuple[str, ...] = ()
    seen: list[int] = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class StockPoint:
    """The same fields, made by the standard decorator."""

    x: int
    y: str = "a"
    tags: tuple[str, ...] = ()
    seen: list[int] = field(default_factory=list, compare=False, repr=False)


@record
class Keyed:
    name: str
    size: int = field(default=0, kw_only=True)
    derived: int = field(default=7, init=False)


@record
class Empty:
    pass


@record
class One:
    only: int


@pytest.mark.parametrize(
    "args, kwargs",
    [((1,), {}), ((2, "b"), {}), ((3,), {"tags": ("t",)}), ((4, "c", ("u", "v")), {"seen": [1, 2]})],
)
def test_construction_equality_hash_and_repr_match_the_stock_dataclass(args: tuple, kwargs: dict) -> None:
    ours, stock = Point(*args, **kwargs), StockPoint(*args, **kwargs)
    assert [getattr(ours, f.name) for f in dataclasses.fields(ours)] == [
        getattr(stock, f.name) for f in dataclasses.fields(stock)
    ]
    assert hash(ours) == hash(stock)
    assert repr(ours).replace("Point", "StockPoint", 1) == repr(stock)
    assert dataclasses.asdict(ours) == dataclasses.asdict(stock)
    assert dataclasses.astuple(ours) == dataclasses.astuple(stock)
    assert ours == Point(*args, **kwargs)
    assert ours != Point(args[0] + 100)
    assert ours != stock  # another class is never equal, as with dataclass


def test_a_field_left_out_of_compare_does_not_change_equality_or_hash() -> None:
    a, b = Point(1, seen=[1]), Point(1, seen=[2])
    assert a == b and hash(a) == hash(b)
    assert "seen" not in repr(a)


def test_default_factory_gives_each_instance_its_own_value() -> None:
    a, b = Point(1), Point(1)
    assert a.seen == [] and a.seen is not b.seen


def test_assigning_or_deleting_a_field_raises_frozen_instance_error() -> None:
    p = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.x  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.other = 1  # type: ignore[attr-defined]
    assert p.x == 1


def test_a_record_is_slotted() -> None:
    assert not hasattr(Point(1), "__dict__")
    assert set(Point.__slots__) == {"x", "y", "tags", "seen"}


def test_wrong_arguments_fail_as_a_function_call_does() -> None:
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, "a", (), [], 5)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, nope=2)  # type: ignore[call-arg]


def test_keyword_only_and_non_init_fields() -> None:
    k = Keyed("n", size=3)
    assert (k.name, k.size, k.derived) == ("n", 3, 7)
    with pytest.raises(TypeError):
        Keyed("n", 3)  # type: ignore[misc]
    with pytest.raises(TypeError):
        Keyed("n", derived=1)  # type: ignore[call-arg]


def test_replace_copy_and_pickle_keep_every_field() -> None:
    p = Point(1, "b", ("t",), [9])
    assert dataclasses.replace(p, x=2) == Point(2, "b", ("t",))
    assert dataclasses.replace(p, x=2).seen == [9]
    for clone in (copy.copy(p), copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert clone == p and clone.seen == [9] and type(clone) is Point


def test_records_with_no_field_or_one_field() -> None:
    assert Empty() == Empty() and hash(Empty()) == hash(())
    assert One(1) == One(1) != One(2)
    assert hash(One(5)) == hash((5,))
    assert repr(One(5)) == "One(only=5)"


def test_match_args_work_as_with_dataclass() -> None:
    match Point(3, "z"):
        case Point(x, y):
            assert (x, y) == (3, "z")
        case _:
            pytest.fail("no match")


def test_a_post_init_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="__post_init__"):

        @record
        class Checked:
            x: int

            def __post_init__(self) -> None:
                pass


def test_init_is_compiled_on_the_first_instance_and_then_kept() -> None:
    @record
    class Late:
        a: int
        b: int = 2

    stub = Late.__init__
    with pytest.raises(TypeError):
        Late()  # type: ignore[call-arg]  # the first call may be a wrong one: still a TypeError
    compiled = Late.__init__
    assert compiled is not stub
    assert Late(1) == Late(1, 2) and Late.__init__ is compiled


def test_a_mutable_default_is_refused_as_dataclass_refuses_it() -> None:
    with pytest.raises(ValueError, match="mutable default"):

        @record
        class Bad:
            items: list[int] = []  # noqa: RUF012


def test_a_field_without_default_after_one_with_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="non-default"):

        @record
        class Bad:
            a: int = 0
            b: int  # type: ignore[misc]


def test_classvar_annotations_are_refused() -> None:
    with pytest.raises(TypeError, match="plain annotation"):

        @record
        class Bad:
            count: ClassVar[int] = 0


@record
class Base:
    a: int
    b: str = "b"


@record
class Derived(Base):
    c: int = 3


@record
class Pair(Generic[T]):
    left: T
    right: T


def test_a_record_subclassing_a_record_has_the_fields_of_both_in_order() -> None:
    d = Derived(1)
    assert [f.name for f in dataclasses.fields(d)] == ["a", "b", "c"]
    assert (d.a, d.b, d.c) == (1, "b", 3)
    assert Derived.__slots__ == ("c",) and not hasattr(d, "__dict__")
    assert d != Base(1) and d == Derived(1, "b", 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.a = 2  # type: ignore[misc]


def test_a_generic_record_is_subscriptable_and_still_a_record() -> None:
    p = Pair[int](1, 2)
    assert p == Pair(1, 2) and dataclasses.is_dataclass(p)
    assert dataclasses.astuple(p) == (1, 2)


def test_a_stock_dataclass_may_subclass_a_record() -> None:
    @dataclass(frozen=True)
    class Stock(Base):
        z: int = 9

    s = Stock(1)
    assert (s.a, s.b, s.z) == (1, "b", 9)
    assert [f.name for f in dataclasses.fields(s)] == ["a", "b", "z"]
