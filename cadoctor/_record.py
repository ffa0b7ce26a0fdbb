"""Records for the report model: the part of `dataclasses` we use, defined in microseconds, not milliseconds.

`import dataclasses` pulls in `inspect` (about 10 ms here) and each decorated class costs close to a
millisecond of code generation. `cadoctor check` pays both on every run and `check --host` must stay near
the cost of one handshake, so the model is declared with `record` instead: the same annotations, defaults,
`field(...)`, `replace` and `fields`, and mypy reads it as a dataclass
(PEP 681). Inheritance, ordering, `__slots__` and `kw_only` are left out because the model uses none of them.
"""

from __future__ import annotations

import operator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> Callable[[T], T]:
        """Let the decorator through unchanged at run time: the marker is for type checkers only."""
        return lambda decorated: decorated


_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "MISSING"})()
_FIELDS = "__record_fields__"


class FrozenInstanceError(AttributeError):
    """An attempt to change a frozen record after it was built."""


class Field:
    """One declared field: its name, its default (or the factory that makes one), and how it is compared."""

    __slots__ = ("compare", "default", "default_factory", "metadata", "name")

    def __init__(self, default: Any, default_factory: Any, compare: bool, metadata: Mapping[str, Any] | None) -> None:
        """Describe the field; the name is filled in when the class is built."""
        self.name = ""
        self.default, self.default_factory = default, default_factory
        self.compare = compare
        self.metadata: Mapping[str, Any] = dict(metadata or {})

    def __repr__(self) -> str:
        """Show the field in error messages."""
        return "Field(%r)" % self.name


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    compare: bool = True,
    metadata: Mapping[str, Any] | None = None,
) -> Any:
    """Declare a field with a default or a default factory, left out of comparisons or tagged with metadata."""
    if default is not _MISSING and default_factory is not None:
        raise ValueError("a field takes a default or a default_factory, not both")
    return Field(default, _MISSING if default_factory is None else default_factory, compare, metadata)


def _frozen_setattr(self: object, name: str, value: object) -> None:
    """Refuse to change a frozen record."""
    raise FrozenInstanceError("cannot assign to field %r of a frozen %s" % (name, type(self).__name__))


def _frozen_delattr(self: object, name: str) -> None:
    """Refuse to delete from a frozen record."""
    raise FrozenInstanceError("cannot delete field %r of a frozen %s" % (name, type(self).__name__))


def _declared(cls: type) -> tuple[Field, ...]:
    """Read the fields from the class's own annotations, in order, and check that defaults come last."""
    declared: list[Field] = []
    # The class's own annotations, stored as strings: every module that declares records postpones annotations.
    own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - inspect's reader costs the import we avoid
    for name, annotation in own.items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, _MISSING)
        spec = value if isinstance(value, Field) else Field(value, _MISSING, True, None)
        spec.name = name
        if spec.default is _MISSING and spec.default_factory is _MISSING:
            if any(f.default is not _MISSING or f.default_factory is not _MISSING for f in declared):
                raise TypeError("%s: field %r without a default follows one with a default" % (cls.__name__, name))
            if isinstance(value, Field):
                delattr(cls, name)
        elif isinstance(value, Field):
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        declared.append(spec)
    return tuple(declared)


def _make_init(cls: type, declared: tuple[Field, ...]) -> None:
    """Give the class an `__init__` that fills the instance dictionary from positions, keywords and defaults.

    One closure per class instead of generated source: compiling an `__init__` per class cost more than the
    rest of the model's import put together.
    """
    names = tuple(f.name for f in declared)
    known = frozenset(names)
    count = len(names)
    fallbacks = tuple((f.name, f.default, f.default_factory) for f in declared)
    qualname = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        store = self.__dict__
        if len(args) > count:
            raise TypeError("%s() takes %d arguments but %d were given" % (qualname, count, len(args)))
        store.update(zip(names, args))
        if kwargs:
            for name in kwargs:
                if name not in known:
                    raise TypeError("%s() got an unexpected keyword argument %r" % (qualname, name))
                if name in store:
                    raise TypeError("%s() got multiple values for argument %r" % (qualname, name))
            store.update(kwargs)
        if len(store) < count:
            for name, default, factory in fallbacks[len(args) :]:
                if name in store:
                    continue
                if factory is not _MISSING:
                    store[name] = factory()
                elif default is not _MISSING:
                    store[name] = default
                else:
                    raise TypeError("%s() missing required argument %r" % (qualname, name))

    __init__.__qualname__ = "%s.__init__" % qualname
    __init__.__doc__ = "Build a %s from its fields." % cls.__name__
    cls.__init__ = __init__  # type: ignore[misc]


def _add_methods(cls: type, declared: tuple[Field, ...], frozen: bool) -> None:
    """Equality and hashing over the compared fields, a readable repr, and frozenness."""
    names = tuple(f.name for f in declared)
    compared = [f.name for f in declared if f.compare]
    key: Callable[[Any], tuple[Any, ...]] = (
        operator.attrgetter(*compared) if len(compared) > 1 else lambda self: tuple(getattr(self, n) for n in compared)
    )

    def __eq__(self: Any, other: object) -> bool:
        """Equal when of the same class with equal compared fields."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        return key(self) == key(other)

    def __repr__(self: Any) -> str:
        """Show every field, as a dataclass would."""
        return "%s(%s)" % (type(self).__qualname__, ", ".join("%s=%r" % (n, getattr(self, n)) for n in names))

    cls.__eq__ = __eq__  # type: ignore[method-assign,assignment]
    cls.__repr__ = __repr__  # type: ignore[method-assign,assignment]
    if frozen:

        def __hash__(self: Any) -> int:
            """Hash the compared fields, consistent with equality."""
            return hash(key(self))

        cls.__hash__ = __hash__  # type: ignore[method-assign,assignment]
        cls.__setattr__ = _frozen_setattr  # type: ignore[method-assign,assignment]
        cls.__delattr__ = _frozen_delattr  # type: ignore[method-assign,assignment]
    else:
        cls.__hash__ = None  # type: ignore[assignment]  # mutable and comparable: unhashable, as dataclasses do


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T] | None = None, /, *, frozen: bool = True) -> Any:
    """Turn an annotated class into a record (frozen unless `frozen=False`)."""

    def build(target: type[T]) -> type[T]:
        """Add the fields and the generated methods to the class."""
        declared = _declared(target)
        setattr(target, _FIELDS, declared)
        _make_init(target, declared)
        _add_methods(target, declared, frozen)
        return target

    return build if cls is None else build(cls)


def fields(value: object) -> tuple[Field, ...]:
    """The fields of a record class or instance, in declaration order."""
    declared: tuple[Field, ...] | None = getattr(value, _FIELDS, None)
    if declared is None:
        raise TypeError("%r is not a record" % (value,))
    return declared


def is_record(value: object) -> bool:
    """Whether `value` is a record instance (not a record class)."""
    return not isinstance(value, type) and hasattr(type(value), _FIELDS)


def replace(value: T, /, **changes: Any) -> T:
    """A copy of a record with some fields changed."""
    current = {f.name: getattr(value, f.name) for f in fields(value)}
    unknown = set(changes) - set(current)
    if unknown:
        raise TypeError("%s has no field %s" % (type(value).__name__, ", ".join(sorted(unknown))))
    current.update(changes)
    return type(value)(**current)
