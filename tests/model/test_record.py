"""The model's records behave like the frozen dataclasses they replace."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers.environment import child_env

from cadoctor._record import FrozenInstanceError, field, fields, is_record, record, replace


@record
class Point:
    """A record with a default, a factory and a field left out of comparisons."""

    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", compare=False, metadata={"internal": True})


@record
class Label:
    """A hashable record with a field left out of comparisons."""

    name: str
    note: str = field(default="", compare=False)


@record(frozen=False)
class Counter:
    """A mutable record."""

    count: int = 0


def test_fields_keep_declaration_order_defaults_and_metadata() -> None:
    """Fields come back in the order declared, with their metadata."""
    assert [f.name for f in fields(Point)] == ["x", "y", "tags", "note"]
    assert fields(Point(1))[3].metadata == {"internal": True}
    assert Point.y == 0
    assert Point.note == ""


def test_init_takes_positions_keywords_and_defaults() -> None:
    """Positional and keyword arguments land in their fields; a missing one is a TypeError."""
    point = Point(1, note="n", y=2)
    assert (point.x, point.y, point.tags, point.note) == (1, 2, [], "n")
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, z=3)  # type: ignore[call-arg]


def test_each_instance_gets_a_fresh_default_from_the_factory() -> None:
    """A default factory runs per instance, so no two records share one list."""
    first, second = Point(1), Point(2)
    first.tags.append("a")
    assert second.tags == []


def test_frozen_records_refuse_changes() -> None:
    """Assigning or deleting a field of a frozen record raises FrozenInstanceError."""
    point = Point(1)
    with pytest.raises(FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del point.x
    assert isinstance(FrozenInstanceError(), AttributeError)


def test_equality_and_hash_ignore_fields_not_compared() -> None:
    """Records with the same compared fields are equal and hash alike; other classes never compare equal."""
    assert Label("a", note="x") == Label("a", note="y")
    assert hash(Label("a", note="x")) == hash(Label("a", note="y"))
    assert Label("a") != Label("b")
    assert Point(1, 2) != Point(1, 3)
    assert Label("a") != ("a",)  # type: ignore[comparison-overlap]
    assert Counter.__hash__ is None


def test_mutable_records_accept_changes() -> None:
    """A record declared with frozen=False can be updated in place."""
    counter = Counter()
    counter.count += 1
    assert counter == Counter(1)


def test_replace_copies_with_changes_and_refuses_unknown_fields() -> None:
    """replace() builds a new record with some fields changed; an unknown name is a TypeError."""
    point = Point(1, 2, ["t"], note="n")
    moved = replace(point, y=5)
    assert (moved.x, moved.y, moved.tags, moved.note) == (1, 5, ["t"], "n")
    assert point.y == 2
    with pytest.raises(TypeError, match="no field z"):
        replace(point, z=1)


def test_repr_names_every_field() -> None:
    """The repr reads like a dataclass's."""
    assert repr(Point(1)) == "Point(x=1, y=0, tags=[], note='')"


def test_is_record_tells_instances_from_classes_and_others() -> None:
    """Only instances of record classes are records."""
    assert is_record(Point(1))
    assert not is_record(Point)
    assert not is_record((1, 2))
    with pytest.raises(TypeError):
        fields(object())


def test_a_required_field_after_a_default_is_refused() -> None:
    """Declaring a field without a default after one with a default is a TypeError, as with dataclasses."""
    with pytest.raises(TypeError, match="follows one with a default"):

        @record
        class Bad:
            """Out of order."""

            a: int = 0
            b: int  # type: ignore[misc]


def test_field_refuses_a_default_and_a_factory_together() -> None:
    """A field takes a default or a factory, not both."""
    with pytest.raises(ValueError, match="not both"):
        field(default=1, default_factory=int)


def test_the_model_loads_without_dataclasses_or_inspect() -> None:
    """Importing the model costs neither `dataclasses` nor `inspect`: that is why records exist."""
    script = (
        "import sys; before = set(sys.modules); import cadoctor._model; "
        "print(sorted({'dataclasses', 'inspect'} & (set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", script], env=child_env(), capture_output=True, text=True, timeout=60)
    assert out.stdout == "[]\n", out.stderr
