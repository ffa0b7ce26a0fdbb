"""The records every layer speaks in: plain frozen records that serialise to the versioned JSON schemas.

A check's records are named here, as every layer imports them: `facts` (what the rules read), `hosts` (live
handshakes), `report` (findings, fixes, clients) and `document` (what JSON shows of a record). `ps` and
`inspect` have their own modules, `processes` and `inspection`, imported by those commands alone.
"""

from __future__ import annotations

from cadoctor._model.document import SCHEMA_VERSION, plain
from cadoctor._model.facts import (
    Anchor,
    AnchorTool,
    Bundle,
    Distribution,
    Exposure,
    Facts,
    Injector,
    LoadedLibrary,
    LocalRoot,
    Runtime,
    Setting,
    Stack,
    Subject,
    SystemLibrary,
    TrustSource,
)
from cadoctor._model.hosts import ChainCertificate, HostCheck, HostClient, RootHolder, StoreVerdict
from cadoctor._model.report import Client, ClientTrial, ClientTrust, ConfigEdit, Finding, Fix, Report, Severity

__all__ = [
    "SCHEMA_VERSION",
    "Anchor",
    "AnchorTool",
    "Bundle",
    "ChainCertificate",
    "Client",
    "ClientTrial",
    "ClientTrust",
    "ConfigEdit",
    "Distribution",
    "Exposure",
    "Facts",
    "Finding",
    "Fix",
    "HostCheck",
    "HostClient",
    "Injector",
    "LoadedLibrary",
    "LocalRoot",
    "Report",
    "RootHolder",
    "Runtime",
    "Setting",
    "Severity",
    "Stack",
    "StoreVerdict",
    "Subject",
    "SystemLibrary",
    "TrustSource",
    "plain",
]
