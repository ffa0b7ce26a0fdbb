"""The anchor rules and their fixes on recorded facts: what each store tool does with a file, said and fixed."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.records import facts, holder, host

from cadoctor._fixes.propose import propose
from cadoctor._model import Anchor, AnchorTool, Facts, Subject
from cadoctor._record import replace
from cadoctor._rules.anchors import anchor_findings
from cadoctor._rules.trust import diagnose

DEBIAN = AnchorTool(
    "debian",
    "update-ca-certificates",
    "/usr/sbin/update-ca-certificates",
    "its program",
    "/etc/ssl/certs/ca-certificates.crt",
)
RHEL = AnchorTool(
    "rhel",
    "update-ca-trust extract",
    "/usr/bin/update-ca-trust",
    "its program",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
)
ALPINE = AnchorTool(
    "alpine",
    "update-ca-certificates",
    "/usr/sbin/update-ca-certificates",
    "its program",
    "/etc/ssl/certs/ca-certificates.crt",
)
LOCAL = "/usr/local/share/ca-certificates"
SELECTED = "/usr/share/ca-certificates"
RHEL_SOURCE = "/etc/pki/ca-trust/source"
RHEL_ANCHORS = RHEL_SOURCE + "/anchors"
ROOT = "CN=Example Private Root"  # the root `records.host` ends at


def anchor(path: str, folder: str = LOCAL, **changes: Any) -> Anchor:
    """A PEM file of one root that its tool takes, not yet in the store."""
    base = Anchor(path, folder, "debian", "pem", 1, (ROOT,), taken=True, in_store=False)
    return replace(base, **changes)


def examined(tool: AnchorTool, *anchors: Anchor, **changes: Any) -> Facts:
    """A healthy interpreter whose OS store's tool reads these files."""
    return facts(anchor_tools=(tool,), anchors=tuple(replace(a, tool=tool.name) for a in anchors), **changes)


def codes(examined: Facts) -> list[tuple[str, str]]:
    """The anchor findings' codes and severities."""
    return [(f.code, f.severity.value) for f in anchor_findings(examined)]


def shells(examined: Facts) -> list[str]:
    """The shell lines of the fixes proposed for the anchor findings."""
    found = tuple(anchor_findings(examined))
    return [
        f.lines["shell"] for f in propose(examined, found) if any(a.startswith("local-anchor") for a in f.addresses)
    ]


def test_a_taken_root_the_store_holds_says_nothing() -> None:
    """The tool ran since the file was put there: nothing to say."""
    assert codes(examined(DEBIAN, anchor(LOCAL + "/corp.crt", in_store=True))) == []


def test_roots_waiting_for_the_tool_are_one_warning_with_the_rebuild() -> None:
    """Two files copied in, the tool not run: one finding naming both, and the rebuild command."""
    waiting = examined(DEBIAN, anchor(LOCAL + "/a.crt"), anchor(LOCAL + "/b.crt"))
    [finding] = anchor_findings(waiting)
    assert (finding.code, finding.severity.value) == ("local-anchor-pending", "warning")
    assert finding.evidence["paths"] == [LOCAL + "/a.crt", LOCAL + "/b.crt"]
    assert shells(waiting) == ["update-ca-certificates"]


def test_a_missing_tool_is_installed_before_it_runs() -> None:
    """A final image stage without the tool: its package first, then the rebuild."""
    waiting = examined(replace(DEBIAN, program=None), anchor(LOCAL + "/corp.crt"))
    [finding] = anchor_findings(waiting)
    assert "is not installed here" in finding.summary
    assert shells(waiting) == ["apt-get install ca-certificates && update-ca-certificates"]


def test_a_host_that_needs_the_waiting_root_makes_it_an_error_and_takes_the_fix() -> None:
    """The failing host ends at the waiting root: error, and the host's fix is the anchor's own."""
    needed = examined(DEBIAN, anchor(LOCAL + "/corp.crt"), hosts=(host(),))
    assert codes(needed) == [("local-anchor-pending", "error")]
    fixes = propose(needed, tuple(anchor_findings(needed)))
    assert [(f.command, f.addresses) for f in fixes] == [
        ("update-ca-certificates", ("local-anchor-pending", "host-unknown-ca"))
    ]


@pytest.mark.parametrize(
    ("tool", "ignored", "line"),
    [
        (
            DEBIAN,
            anchor(LOCAL + "/corp.pem", taken=False, reason="name"),
            "mv -- '%s/corp.pem' '%s/corp.crt' && update-ca-certificates" % (LOCAL, LOCAL),
        ),
        (
            DEBIAN,
            anchor(LOCAL + "/corp.cer", form="der", taken=False, reason="name"),
            "openssl x509 -inform der -in '%s/corp.cer' -out '%s/corp.crt.pem-new' && mv -- '%s/corp.crt.pem-new' "
            "'%s/corp.crt' && rm -- '%s/corp.cer' && update-ca-certificates" % ((LOCAL,) * 5),
        ),
        (
            DEBIAN,
            anchor(LOCAL + "/corp.crt", form="der", taken=False, reason="der"),
            "openssl x509 -inform der -in '%s/corp.crt' -out '%s/corp.crt.pem-new' && mv -- '%s/corp.crt.pem-new' "
            "'%s/corp.crt' && update-ca-certificates --fresh" % ((LOCAL,) * 4),
        ),
        (
            DEBIAN,
            anchor(LOCAL + "/rds.crt", certificates=2, subjects=("CN=I", ROOT), reason="several", in_store=True),
            "awk -v p='%s/rds' '/^-----BEGIN (TRUSTED )?CERTIFICATE-----/{n++} n{print > (p \"-\" n \".crt\")}' "
            "'%s/rds.crt' && rm -- '%s/rds.crt' && update-ca-certificates --fresh" % (LOCAL, LOCAL, LOCAL),
        ),
        (
            ALPINE,
            anchor(LOCAL + "/corp/ca.pem", taken=False, reason="sub-folder"),
            "mv -- '%s/corp/ca.pem' '%s/ca.pem' && update-ca-certificates" % (LOCAL, LOCAL),
        ),
        (
            ALPINE,
            anchor(LOCAL + "/.corp.crt", taken=False, reason="hidden"),
            "mv -- '%s/.corp.crt' '%s/corp.crt' && update-ca-certificates" % (LOCAL, LOCAL),
        ),
        (
            RHEL,
            anchor(RHEL_SOURCE + "/corp.crt", RHEL_SOURCE, taken=False, reason="not-anchor"),
            "mv -- '/etc/pki/ca-trust/source/corp.crt' '/etc/pki/ca-trust/source/anchors/corp.crt' && "
            "update-ca-trust extract",
        ),
        (
            RHEL,
            anchor(RHEL_ANCHORS + "/x/corp.pem", RHEL_ANCHORS, reason="sub-folder", taken=False),
            "mv -- '/etc/pki/ca-trust/source/anchors/x/corp.pem' '/etc/pki/ca-trust/source/anchors/corp.pem' && "
            "update-ca-trust extract",
        ),
        (
            DEBIAN,
            anchor(SELECTED + "/local/corp.crt", SELECTED, taken=False, reason="unselected"),
            "printf '%s\\n' 'local/corp.crt' >> '/etc/ca-certificates.conf' && update-ca-certificates",
        ),
    ],
)
def test_a_file_the_tool_never_takes_gets_the_exact_change_then_the_rebuild(
    tool: AnchorTool, ignored: Anchor, line: str
) -> None:
    """Each rule's own fix: rename, convert, split, move up or into anchors/, select; then the tool's rebuild."""
    checked = examined(tool, ignored)
    assert codes(checked) == [("local-anchor-ignored", "warning")]
    assert shells(checked) == [line]


def test_a_rename_never_overwrites_another_anchor() -> None:
    """`corp.pem` beside an existing `corp.crt`: the new name is `corp-2.crt`."""
    checked = examined(
        DEBIAN, anchor(LOCAL + "/corp.pem", taken=False, reason="name"), anchor(LOCAL + "/corp.crt", in_store=True)
    )
    assert shells(checked) == ["mv -- '%s/corp.pem' '%s/corp-2.crt' && update-ca-certificates" % (LOCAL, LOCAL)]


def test_an_ignored_file_whose_roots_the_store_holds_anyway_says_nothing() -> None:
    """A `.pem` copy of a root another file added: nothing is missing."""
    assert codes(examined(DEBIAN, anchor(LOCAL + "/corp.pem", taken=False, reason="name", in_store=True))) == []


@pytest.mark.parametrize("reason", ["not-ca", "blocklisted"])
def test_a_leaf_or_a_blocklisted_certificate_is_explained_without_a_command(reason: str) -> None:
    """Unblocking is a decision and a leaf is no root: a finding, no command."""
    folder = "/etc/pki/ca-trust/source/anchors"
    checked = examined(RHEL, anchor(folder + "/leaf.crt", folder, taken=False, reason=reason))
    assert codes(checked) == [("local-anchor-ignored", "warning")]
    assert shells(checked) == []


def test_an_unreadable_file_is_said_to_be_unknown_never_absent() -> None:
    """Permission denied: its content is unknown, and a failing host's root may be in it."""
    unread = anchor(
        LOCAL + "/corp.crt", form="unreadable", certificates=0, subjects=(), in_store=None, problem="permission denied"
    )
    checked = examined(DEBIAN, unread, hosts=(host(),))
    [finding] = anchor_findings(checked)
    assert (finding.code, finding.severity.value) == ("local-anchor-unreadable", "error")
    assert "cannot read" in finding.summary
    assert "may be in it" in finding.summary
    assert shells(checked) == ["chmod a+r -- '%s/corp.crt'" % LOCAL]
    [unknown] = [f for f in diagnose(checked) if f.code == "host-unknown-ca"]
    assert "no bundle cadoctor could read holds it (it could not read %s/corp.crt)" % LOCAL in unknown.summary
    root_wanted = [f for f in propose(checked, tuple(anchor_findings(checked))) if "host-unknown-ca" in f.addresses]
    assert any("could read here (not %s/corp.crt)" % LOCAL in (f.evidence or "") for f in root_wanted)


def test_a_root_held_by_an_anchor_leaves_the_host_fix_to_the_anchor_finding() -> None:
    """A host whose root an ignored anchor holds: one fix, the anchor's, and no "rebuild" guess beside it."""
    ignored = anchor(LOCAL + "/corp.pem", taken=False, reason="name")
    failing = host(holders=(holder(LOCAL, "local-anchors", verifies=False),))
    checked = examined(DEBIAN, ignored, hosts=(failing,))
    fixes = propose(checked, tuple(anchor_findings(checked)))
    assert [f.command for f in fixes] == [
        "mv -- '%s/corp.pem' '%s/corp.crt' && update-ca-certificates" % (LOCAL, LOCAL)
    ]


def test_an_image_gets_its_own_forms_never_a_host_command() -> None:
    """Under --root the fix acts on the image: RUN and chroot lines with its paths, no shell line, untried."""
    image = Subject(kind="root", executable="/usr/bin/python3", python=True, observed="files", root="/srv/image")
    checked = examined(DEBIAN, anchor(LOCAL + "/corp.crt"), subject=image)
    [fix] = propose(checked, tuple(anchor_findings(checked)))
    assert fix.root == "/srv/image"
    assert fix.lines == {
        "dockerfile": "RUN update-ca-certificates",
        "chroot": "chroot '/srv/image' /bin/sh -c 'update-ca-certificates'",
    }
    assert fix.summary.startswith("In the image at /srv/image: run update-ca-certificates")
    assert fix.verified is None
    assert "acts on the image at /srv/image" in (fix.evidence or "")


def test_a_path_with_a_control_character_gets_no_command() -> None:
    """A name no shell line should carry: the finding stands, the fix is by hand."""
    checked = examined(DEBIAN, anchor(LOCAL + "/corp\n.pem", taken=False, reason="name"))
    assert codes(checked) == [("local-anchor-ignored", "warning")]
    assert shells(checked) == []
