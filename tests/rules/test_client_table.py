"""The client rules table itself: the row each version picks, and rows that cite their source and never overlap."""

from __future__ import annotations

from cadoctor._rules.client_table import RULES, rule_for, version_key


def test_versions_pick_the_row_where_behaviour_flips() -> None:
    """pip 24.1 is certifi-only and 24.2 truststore; httpx 0.27 falls back on a missing file and 0.28 raises."""
    assert version_key("2026.10.19.post1") == (2026, 10, 19)
    assert rule_for("pip", "24.1.2").family == "pip 23.3-24.1"  # type: ignore[union-attr]
    assert rule_for("pip", "24.2", "3.11.7").family == "pip>=24.2"  # type: ignore[union-attr]
    assert rule_for("pip", "26.0.1", "3.9.18").default == "own-bundle"  # type: ignore[union-attr]
    assert rule_for("httpx", "0.27.2").readings[0].effect("missing") == "treated as unset"  # type: ignore[union-attr]
    assert rule_for("httpx", "0.28.1").readings[0].effect("missing") == "raises"  # type: ignore[union-attr]
    assert rule_for("openai", "3.57.0").default == "openssl-defaults"  # type: ignore[union-attr]
    assert rule_for("left-pad", "1.0") is None


def test_every_row_names_the_function_that_decides() -> None:
    """Each rule row cites where in the library the choice is made, and ranges of one client do not overlap."""
    for rule in RULES:
        assert rule.decided_in
        assert all(r.effect("missing") != "not known" for r in rule.readings)
    for first in RULES:
        for second in RULES:
            if first is not second and first.client == second.client:
                apart = _disjoint((first.since, first.before), (second.since, second.before))
                assert apart or _disjoint(first.python, second.python), (first.family, second.family)


def _disjoint(
    one: tuple[tuple[int, ...], tuple[int, ...] | None], two: tuple[tuple[int, ...], tuple[int, ...] | None]
) -> bool:
    """Whether two [since, before) version ranges share no version."""
    return (one[1] is not None and two[0] >= one[1]) or (two[1] is not None and one[0] >= two[1])
