"""``record``: the decorator of every nsview record, a frozen slotted dataclass made cheaply.

A record is what ``@dataclass(frozen=True, slots=True)`` makes: ``dataclasses.fields``,
``replace`` and ``asdict`` work on it, assigning or deleting a field raises
``FrozenInstanceError``, two records are equal when they are of one class and their compared
fields are equal, and equal records hash alike. What differs is what creating the class costs.
The standard decorator compiles six methods per class (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``, ``__delattr__``) and builds the class twice for its slots, ~0.4 ms
a class on Python 3.11, and a command imports tens of classes before it reads a file
(docs/design.md, "Start-up"). Here the class is built once, with its slots, from the
``Field`` objects ``dataclasses.field`` makes; the five methods are shared functions that read
the field names the class keeps; and only ``__init__`` is compiled (it is the one a record
calls per instance, and it is the frozen one: ``object.__setattr__`` per field), when the
first instance is made. ~0.07 ms a class.
"""

from __future__ import annotations

import dataclasses
from itertools import pairwise
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, get_origin

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: object) -> Any:
        return lambda decorator: decorator


_C = TypeVar("_C", bound=type)

_MISSING = dataclasses.MISSING


def _setattr(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_repr__)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    key = self.__record_key__
    return key(self) == key(other)


def _hash(self: Any) -> int:
    return hash(self.__record_key__(self))


def _getstate(self: Any) -> list[object]:
    return [getattr(self, name) for name in self.__record_names__]


def _setstate(self: Any, state: list[object]) -> None:
    for name, value in zip(self.__record_names__, state, strict=True):
        object.__setattr__(self, name, value)


def _no_fields(_: object) -> tuple[()]:
    return ()


def _key_of(names: tuple[str, ...]) -> Any:
    if not names:
        return _no_fields
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda record: (one(record),)
    return attrgetter(*names)


def _init_of(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Any:
    """The ``__init__`` of ``cls``, compiled once: the frozen dataclass's, field for field."""
    scope: dict[str, object] = {"__set": object.__setattr__, "__MISSING": _MISSING}
    params: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for index, f in enumerate(fields):
        value = f.name
        if f.default is not _MISSING:
            scope[f"__d{index}"] = f.default
            default = f"=__d{index}"
        elif f.default_factory is not _MISSING:
            scope[f"__f{index}"] = f.default_factory
            default = "=__MISSING"
            value = f"__f{index}() if {f.name} is __MISSING else {f.name}"
        else:
            default = ""
        if not f.init:
            if f.default is not _MISSING:
                body.append(f"__set(self, {f.name!r}, __d{index})")
            elif f.default_factory is not _MISSING:
                body.append(f"__set(self, {f.name!r}, __f{index}())")
            continue
        (keyword if f.kw_only else params).append(f"{f.name}{default}")
        body.append(f"__set(self, {f.name!r}, {value})")
    if keyword:
        params += ["*", *keyword]
    source = "def __init__(self, {}):\n    {}\n".format(", ".join(params), "\n    ".join(body or ["pass"]))
    exec(compile(source, f"<record {cls.__qualname__}>", "exec"), scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    return init


def _lazy_init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Any:
    """An ``__init__`` that compiles the real one on the first instance and puts it on ``cls``:
    compiling is half of what making a record class costs, and most classes a command imports
    are never instantiated in that run."""

    def __init__(self: object, *args: object, **kwargs: object) -> None:
        real = _init_of(cls, fields)
        type.__setattr__(cls, "__init__", real)
        real(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


# What ``dataclasses`` marks a real field with (not a ClassVar or InitVar): ``fields()``,
# ``replace()`` and ``asdict()`` keep only those. A private name, the same from 3.7 to 3.13;
# tests/test_record.py fails if that changes.
_FIELD_MARK = dataclasses._FIELD  # type: ignore[attr-defined]


class _Params:
    """The decorator's flags (frozen=True, ...), which dataclasses reads of a base class when a
    dataclass subclasses a record. Made on first use, from a stock frozen dataclass: the flags'
    class differs between Python versions, and making one costs as much as a record does."""

    made: object = None

    def __get__(self, obj: object, owner: type | None = None) -> object:
        if _Params.made is None:
            stock: Any = dataclasses.dataclass(frozen=True)(type("_Frozen", (), {"__doc__": "-"}))
            _Params.made = stock.__dataclass_params__
        return _Params.made


_PARAMS = _Params()

_SPECIAL = ("ClassVar", "typing.ClassVar", "InitVar", "dataclasses.InitVar", "KW_ONLY", "dataclasses.KW_ONLY")


def _special(kind: object) -> bool:
    if isinstance(kind, str):  # `from __future__ import annotations`: the annotation's text
        return kind.startswith(_SPECIAL)
    return (
        kind is ClassVar
        or get_origin(kind) is ClassVar
        or kind is dataclasses.KW_ONLY
        or isinstance(kind, dataclasses.InitVar)
    )


def _own_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The fields ``cls`` itself declares, as ``dataclasses`` would make them."""
    own: list[dataclasses.Field[Any]] = []
    space = cls.__dict__
    for name, kind in space.get("__annotations__", {}).items():
        if _special(kind):
            # ClassVar, InitVar and KW_ONLY are what a plain dataclass is for
            raise TypeError(f"{cls.__qualname__}.{name}: a record field is a plain annotation")
        value = space.get(name, _MISSING)
        if isinstance(value, dataclasses.Field):
            f = value
        else:
            if value is not _MISSING and type(value).__hash__ is None:
                raise ValueError(
                    f"{cls.__qualname__}.{name}: mutable default {type(value).__name__}, use field()"
                )
            f = dataclasses.field(default=value)
        f.name = name
        f.type = kind
        f._field_type = _FIELD_MARK  # type: ignore[attr-defined]
        if f.kw_only is _MISSING:
            f.kw_only = False
        own.append(f)
    return own


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: _C) -> _C:
    """``cls`` as a frozen, slotted dataclass (see the module's docstring for how it is made)."""
    if "__post_init__" in cls.__dict__:
        raise TypeError(f"{cls.__qualname__}: a record has no __post_init__")
    every: dict[str, dataclasses.Field[Any]] = {}
    inherited_slots: set[str] = set()
    for base in reversed(cls.__mro__[1:]):
        every.update(base.__dict__.get("__dataclass_fields__", {}))
        inherited_slots.update(base.__dict__.get("__slots__", ()))
    own = _own_fields(cls)
    every.update((f.name, f) for f in own)
    fields = tuple(every.values())
    positional = [f for f in fields if f.init and not f.kw_only]
    for before, after in pairwise(positional):
        if _has_default(before) and not _has_default(after):
            # what compiling __init__ would say, said now rather than on the first instance
            raise TypeError(f"{cls.__qualname__}: non-default field {after.name!r} follows a default one")
    space = dict(cls.__dict__)
    for f in own:
        space.pop(f.name, None)  # a default lives in the Field; a class attribute would clash with its slot
    space.pop("__dict__", None)
    space.pop("__weakref__", None)
    space.update(
        __slots__=tuple(f.name for f in own if f.name not in inherited_slots),
        __dataclass_fields__=every,
        __dataclass_params__=_PARAMS,
        __match_args__=tuple(f.name for f in positional),
        __repr__=_repr,
        __eq__=_eq,
        __hash__=_hash,
        __setattr__=_setattr,
        __delattr__=_delattr,
        __getstate__=_getstate,
        __setstate__=_setstate,
        __record_names__=tuple(f.name for f in fields),
        __record_repr__=tuple(f.name for f in fields if f.repr),
        # staticmethod: a plain function kept on the class would be bound to the instance.
        __record_key__=staticmethod(_key_of(tuple(f.name for f in fields if f.compare))),
    )
    made: Any = type(cls)(cls.__name__, cls.__bases__, space)
    made.__init__ = _lazy_init(made, fields)
    return made  # type: ignore[no-any-return]


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not _MISSING or f.default_factory is not _MISSING
