"""A trial through the client libraries: who asks for whom, in which children side by side, their answers joined.

Each library a trial asks is imported in the child that asks it, and the imports are most of a trial's time (botocore's
session about 100 ms, pip's download command several times that): clients that go through different libraries are
asked in different children, each started with the same environment (the fix's), so that they run in parallel. Clients
that go through the same library stay together: one import answers for all of them. Each child answers for its own
clients exactly as one child would for all; the answers are joined before they are judged.
"""

from __future__ import annotations

from collections.abc import Sequence

from cadoctor._facts.child import jobs
from cadoctor._model import Facts, Fix
from cadoctor._rules.certificate_alerts import REASONS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Identity = tuple[str, str | None]  # a client certificate (and its key, when apart), as absolute paths
    Presented = list[str | None]  # certificate, key (or None), one file holding both: as the trials present it

TRIAL_TIMEOUT = 30.0  # seconds for a trial's child, besides its requests' own time limits
DEFAULT_CONTEXT = "urllib (stdlib)"  # the client that stands for Python's default context

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
    Within a child the clients keep the order they were given in (one child asks them all as one trial did).
    """
    order = list(groups)
    bins: list[tuple[int, list[str]]] = [(0, []) for _ in range(max(1, min(children, len(order))))]
    for route in sorted(order, key=lambda name: -cost(name, host)):
        lightest = min(range(len(bins)), key=lambda i: bins[i][0])
        load, routes = bins[lightest]
        bins[lightest] = (load + cost(route, host), [*routes, route])
    filled = [
        (load + _CHILD, [client for route in sorted(routes, key=order.index) for client in groups[route]])
        for load, routes in bins
        if routes
    ]
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


def default_context_clients(facts: Facts) -> set[str]:
    """The clients that trust exactly Python's default context: no variable of their own, no injector, nothing added."""
    from cadoctor._fixes.reach import rule_of
    from cadoctor._rules.client_table import OPENSSL
    from cadoctor._rules.clients import judge

    names = {DEFAULT_CONTEXT}
    for client in judge(facts):
        rule = rule_of(client, facts)
        plain = rule is not None and rule.default == OPENSSL and not rule.first_only
        if plain and client.trust.kind == OPENSSL and client.trust.source == "default" and not client.trust.also:
            names.add(client.name)
    return names


def stand_ins(fix: Fix, facts: Facts) -> dict[str, list[str]]:
    """Each client a request to the fix's host is made through, with the clients its answer speaks for (itself first).

    Clients that go through the same library (requests for azure-core and google-auth) or that trust exactly
    Python's default context (urllib stands in for urllib3, aiohttp, tornado, ...) get one request between them:
    the same call gives the same answer, and each library the child imports costs it up to half a second. A fix
    for the default context alone, and one with no host, makes no request: empty.
    """
    if fix.trial_host is None or not fix.clients:
        return {}
    from cadoctor._facts.child.client_trial import ROUTES

    default_context = default_context_clients(facts)
    if not fix.inject and default_context.issuperset((*fix.clients, *fix.guards)):
        return {}  # the fix trial's handshake: it starts where the subject is (its OpenSSL) and checks public roots
    groups: dict[str, list[str]] = {}
    for name in dict.fromkeys((*fix.clients, *fix.guards)):
        if name in default_context:
            groups.setdefault("", []).append(name)
        elif name in ROUTES:
            groups.setdefault(ROUTES[name], []).append(name)
    stand_ins = {}
    for route, members in groups.items():
        lead = DEFAULT_CONTEXT if not route else next((m for m in members if m == route), members[0])
        stand_ins[lead] = [lead, *(m for m in members if m != lead)]
    return stand_ins


def asks_libraries(fix: Fix, facts: Facts) -> bool:
    """Whether the fix is tried by its clients' libraries (a request to the host, or the store each resolves)."""
    if fix.trial_host is None:
        return bool(fix.clients)
    return bool(stand_ins(fix, facts))


def _stores_request(clients: list[str], fix: Fix) -> dict[str, Any]:
    """What one child of the libraries' trial should ask without a host: each client's store, the roots it must hold."""
    import base64  # only when a fix is tried

    return {
        "job": jobs.CLIENT_TRIAL,
        "clients": clients,
        "samples": [base64.b64encode(der).decode("ascii") for der in fix.trial_samples],
    }


def _through_request(clients: list[str], fix: Fix, timeout: float, identity: Presented | None) -> dict[str, Any]:
    """What one child of the request trial should do: inject, then one request to the host through each stand-in.

    Each request presents `identity` (the client certificate, its key, and one file holding both) as its library is
    told to.
    """
    host = fix.trial_host
    if host is None:
        raise ValueError("a request trial needs the fix's host")
    request = {
        "job": jobs.CLIENT_TRIAL,
        "host": host.host,
        "port": host.port,
        "timeout": timeout,
        "clients": clients,
        "inject": fix.inject,
    }
    if identity is not None:
        request["identity"] = identity
    request["refused"] = sorted(REASONS)  # a server's refusal of the client's certificate is no verdict on a fix
    return request


def route_groups(fix: Fix, facts: Facts) -> dict[str, list[str]]:
    """The clients a trial through the libraries asks, by the library each goes through (its route).

    With a host, each stand-in makes one request; without, each client's store is resolved.
    """
    from cadoctor._facts.child.client_trial import ROUTES

    asked = list(stand_ins(fix, facts)) if fix.trial_host is not None else list(fix.clients)
    groups: dict[str, list[str]] = {}
    for name in asked:
        groups.setdefault(ROUTES.get(name, name), []).append(name)
    return groups


def route_request(clients: list[str], fix: Fix, timeout: float, identity: Presented | None = None) -> dict[str, Any]:
    """What a child asks for `clients`: a request to the fix's host through each, or without a host, its store.

    Each request presents `identity`, as `_through_request` says.
    """
    if fix.trial_host is not None:
        return _through_request(clients, fix, timeout, identity)
    return _stores_request(clients, fix)


def library_requests(
    fix: Fix,
    facts: Facts,
    timeout: float,
    children: int,
    identity: Presented | None = None,
    groups: dict[str, list[str]] | None = None,
) -> list[tuple[int, dict[str, Any], float]]:
    """The children a trial through the libraries runs in: each with its cost, its request and its time limit.

    Clients that go through the same library share a child; the others are spread over up to `children` children.
    `groups`: the routes still to ask (those a kept answer does not serve), else every route (`route_groups`).
    """
    host = fix.trial_host is not None
    parts = []
    for weight, clients in split(route_groups(fix, facts) if groups is None else groups, host, children):
        limit = TRIAL_TIMEOUT + timeout * len(clients) if host else TRIAL_TIMEOUT
        parts.append((weight, route_request(clients, fix, timeout, identity), limit))
    return parts


def answer_for(answer: dict[str, Any], clients: list[str]) -> dict[str, Any]:
    """The part of one child's answer that speaks for `clients` (one route of it): what is kept for that route.

    What the whole child read stays with it: more than the route needed, never less.
    """
    part = {key: value for key, value in answer.items() if key not in ("clients", "stores")}
    part["clients"] = {name: answer["clients"][name] for name in clients if name in answer.get("clients", {})}
    if isinstance(answer.get("stores"), dict):
        part["stores"] = {name: answer["stores"][name] for name in clients if name in answer["stores"]}
    return part


def through_problem(answer: Any) -> str | None:
    """Why a request trial's answer is not one (a child's output is untrusted), or None when it is."""
    if not jobs.is_answer(answer, jobs.CLIENT_TRIAL):
        return "it answered, but not with the request trial's outcome"
    if not isinstance(answer.get("error"), (str, type(None))) or not isinstance(answer.get("clients"), dict):
        return "its answer is malformed"
    stores = answer.get("stores", {})
    for result in stores.values() if isinstance(stores, dict) else [None]:
        if not (
            isinstance(result, dict)
            and type(result.get("trusted")) is int
            and type(result.get("tried")) is int
            and isinstance(result.get("store"), (str, type(None)))
            and isinstance(result.get("error"), (str, type(None)))
        ):
            return "its answer has a malformed store result"
    for result in answer["clients"].values():
        if not (
            isinstance(result, dict)
            and any(result.get("ok") is value for value in (True, False, None))
            and isinstance(result.get("detail"), str)
            and isinstance(result.get("via"), str)
        ):
            return "its answer has a malformed client result"
    return None
