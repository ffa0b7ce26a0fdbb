"""Every count the renderers write takes its noun in the number it needs: `1 certificate`, `2 certificates`."""

from __future__ import annotations

import io
import re

from helpers.records import bundle, directory, facts, library, runtime
from rich.console import Console

from cadoctor._model import Client, ClientTrust, Finding, Fix, Report, Severity
from cadoctor._model.inspection import Inspection
from cadoctor._model.processes import LibraryGroup, ProcessEntry, ProcessScan
from cadoctor._render.inspection import to_text as inspection_text
from cadoctor._render.report import render_human
from cadoctor._render.scan import to_text as scan_text
from cadoctor._render.terminal import counted

# A plural noun after the number one, as "%d certificates" % 1 wrote it.
ONE_OF_MANY = re.compile(
    r"\b1 (?:OpenSSL |unlinked |hash |certificate )?(?:certificates|links|files|bytes|fixes|processes|duplicates)\b"
)


def test_counted_says_one_in_the_singular_and_any_other_number_in_the_plural() -> None:
    """One takes the singular; none and many the plural, regular or given."""
    assert [counted(n, "certificate") for n in (0, 1, 2)] == ["0 certificates", "1 certificate", "2 certificates"]
    assert [counted(n, "fix", "fixes") for n in (1, 3)] == ["1 fix", "3 fixes"]


def test_the_report_counts_one_in_the_singular() -> None:
    """One certificate in a bundle, a store, a client and a context, one hash link, one byte, one fix: all singular."""
    one = (
        bundle("/srv/one.pem", "system", certificates=1),
        directory("/srv/certs", "in-effect:capath", hash_links=1, unlinked=1),
        bundle("/srv/unread.pem", "client:pip", parsed=False, size=1),
    )
    trust = ClientTrust("own-bundle", "/srv/one.pem", 1, "default")
    client = Client("pip", "24.0", "pip", trust, (), "pip/_vendor/requests/utils.py")
    fix = Fix("env", "Point SSL_CERT_FILE at /srv/one.pem", ("env-path-invalid",), verified=True)
    finding = Finding("env-path-invalid", Severity.ERROR, "SSL_CERT_FILE names nothing")
    seen = facts(bundles=one, runtime=runtime(context_loaded=1))
    stream = io.StringIO()
    render_human(Report(seen, (finding,), (fix,), clients=(client,)), Console(file=stream, width=200))
    text = stream.getvalue()
    assert not ONE_OF_MANY.findall(text), text
    assert "/srv/one.pem: 1 certificate (system)" in text
    assert "/srv/certs: 1 hash link, 1 unlinked file (in-effect:capath)" in text
    assert "/srv/unread.pem: 1 byte, not read (client:pip)" in text
    assert "pip 24.0: own-bundle /srv/one.pem (1 certificate) - ok" in text
    assert "a default context loads 1 certificate" in text
    assert text.splitlines()[-1] == "cadoctor: ERROR - 1 error; 1 fix (1 verified)"


def test_ps_and_inspect_count_one_in_the_singular() -> None:
    """ps's one file, process and file read, and inspect's one certificate, link and duplicate: all singular."""
    entry = ProcessEntry(4242, "app", "python3 app.py", None)
    scan = ProcessScan((LibraryGroup("0:1", 1, library(), (entry,)),), (), processes=1, files_read=1)
    header = scan_text(scan, ()).splitlines()[0]
    assert header == "cadoctor ps: 1 OpenSSL file used by 1 process (1 process examined, 1 file read, 0 unreadable)"
    folder = directory("/srv/certs", hash_links=1, unlinked=1, certificates=1, duplicates=1)
    text = inspection_text([Inspection("/srv/certs", "directory", True, bundle=folder)])
    assert not ONE_OF_MANY.findall(text), text
    assert "  CA directory: 1 hash link (0 wrong), 1 certificate file without a link" in text
    assert "  1 certificate (0 marked, 0 unparseable, 0 expired, 1 duplicate)" in text
