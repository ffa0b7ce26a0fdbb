"""The facts job: everything an interpreter says of its trust path, in the child or in cadoctor's own process."""

from __future__ import annotations

from .interpreter import environment_facts, platform_facts, python_facts
from .libraries import library_facts
from .openssl_paths import trust_sources
from .ssl_module import default_context_facts, ssl_facts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Mapping, Optional


def interpreter_facts(
    variables: Mapping[str, Any], default_context: Optional[Dict[str, Any]] = None, count_context: bool = True
) -> Dict[str, Any]:
    """Collect every fact of this interpreter's trust path.

    `variables`: the tables the request names (which variables to copy, which mark a platform: see
    `cadoctor._variables.for_child`); `default_context`: what a default context already made here loaded, if known;
    without `count_context`, none is made here and `default_context` stays None (the caller counts it meanwhile).
    """
    facts = ssl_facts()
    found: Dict[str, Any] = {
        "platform": platform_facts(),
        "python": python_facts(variables),
        "ssl": facts,
        "environment": environment_facts(variables),
        "trust": None,
        "default_context": None,
    }
    if facts["available"]:
        found["trust"] = trust_sources(facts)
        if default_context or count_context:
            found["default_context"] = default_context or default_context_facts(found["trust"])
    found["libraries"] = library_facts(facts)
    return found
