"""What a record shows in a JSON document: the schema version, and every field but the internal ones."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from cadoctor._record import fields, is_record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1
INTERNAL = {"internal": True}  # a field's metadata: what the rules and fixes use and the JSON leaves out

_SCALARS = frozenset((str, int, float, bool, type(None)))


_PUBLIC: dict[type, tuple[str, ...]] = {}  # a record class -> its fields that JSON shows (`ps` turns thousands)


def plain(value: Any) -> Any:
    """Turn model objects into JSON-able values, leaving internal fields out."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _PUBLIC.get(kind)
    if names is None and is_record(value):
        names = _PUBLIC[kind] = tuple(f.name for f in fields(value) if not f.metadata.get("internal"))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
