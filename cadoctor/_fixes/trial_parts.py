"""A trial through the client libraries, split into children that run side by side, and their answers joined.

Each library a trial asks is imported in the child that asks it, and the imports are most of a trial's time (botocore's
session about 100 ms, pip's download command several times that): clients that go through different libraries are
asked in different children, each started with the same environment (the fix's), so that they run in parallel. Clients
that go through the same library stay together: one import answers for all of them. Each child answers for its own
clients exactly as one child would for all; the answers are joined before they are judged.
"""

from __future__ import annotations

from collections.abc import Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# What asking through each library costs its child, in rough units (the imports it needs): only the order in which
# children are filled and started follows it, never a verdict. A library not named costs 2.
_WITH_HOST = {"pip": 8, "botocore": 4, "uv": 3, "grpcio": 2, "urllib": 1}
_STORES_ONLY = {"botocore": 4, "pip": 0, "grpcio": 0}  # pip resolves no store; grpc's folder is found, not imported
_CHILD = 1  # a child's own start: the interpreter, its site, ssl


def cost(route: str, host: bool) -> int:
    """The rough cost of asking through one library (`route`), with a request to a host or for its store alone."""
    return (_WITH_HOST if host else _STORES_ONLY).get(route, 2)


def split(groups: dict[str, list[str]], host: bool, children: int) -> list[tuple[int, list[str]]]:
    """The clients of each route (`groups`: route -> its clients), packed into at most `children` children.

    The heaviest route goes first to the child with the least to do (longest processing time first), so that the
    slowest child ends as early as it can; each child comes with its cost, heaviest first: the order to start them.
    """
    ordered = sorted(groups.items(), key=lambda item: -cost(item[0], host))
    bins: list[tuple[int, list[str]]] = [(0, []) for _ in range(max(1, min(children, len(ordered))))]
    for route, members in ordered:
        lightest = min(range(len(bins)), key=lambda i: bins[i][0])
        load, clients = bins[lightest]
        bins[lightest] = (load + cost(route, host), clients + members)
    filled = [(load + _CHILD, clients) for load, clients in bins if clients]
    return sorted(filled, key=lambda item: -item[0])


def joined(answers: Sequence[tuple[dict[str, Any] | None, str | None]]) -> tuple[dict[str, Any] | None, str | None]:
    """One answer from the children's: every client's result; the first error; no answer when a child gave none.

    A child that gave no usable answer leaves the whole trial unanswered with its reason, as one child would have.
    """
    whole: dict[str, Any] = {"error": None, "clients": {}}
    for answer, problem in answers:
        if answer is None:
            return None, problem
        whole["error"] = whole["error"] or answer["error"]
        whole["clients"].update(answer["clients"])
        if "stores" in answer:
            whole.setdefault("stores", {}).update(answer["stores"])
    return whole, None
