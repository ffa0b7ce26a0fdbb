"""The pure rules on facts recorded for platforms these machines cannot run (macOS, Windows, RHEL, conda, ...)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers.recorded import facts_from_json

from cadoctor._commands.check import report_for
from cadoctor._render.report import to_document

RECORDED = sorted((Path(__file__).parent / "recorded").glob("*.json"))
SCHEMA = json.loads(resources.files("cadoctor").joinpath("schema/report-v1.json").read_text())


def _load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A recording's facts and what the rules must conclude from them."""
    data = json.loads(path.read_text())
    assert data["platform"], "every recording names its platform"
    assert data["source"], "every recording says where its values come from"
    return data["facts"], data["expected"]


def test_recordings_cover_the_platform_codes() -> None:
    """The recordings exercise the codes no machine here can show for real."""
    seen = {code for path in RECORDED for code, _ in _load(path)[1]["findings"]}
    assert {"openssl-outdated", "libressl-ignores-env", "runtime-known-issue"} <= seen


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
def test_recorded_platform(path: Path) -> None:
    """The diagnosis of recorded facts has the expected status, findings, and fixes, and a valid JSON document."""
    facts, expected = _load(path)
    report = report_for(facts_from_json(facts), verify=False)
    found = {(f.code, f.severity.value) for f in report.findings}
    assert report.status == expected["status"], found
    assert {tuple(pair) for pair in expected["findings"]} <= found
    assert not {f.code for f in report.findings} & set(expected["absent"])
    if expected["fix_kinds"] is not None:
        assert sorted({fix.kind for fix in report.fixes}) == sorted(expected["fix_kinds"])
    if "first_fix_env" in expected:
        assert report.fixes[0].env == expected["first_fix_env"]
    assert all(fix.verified is None for fix in report.fixes), "nothing recorded elsewhere is verified here"
    jsonschema.validate(to_document(report), SCHEMA)
