"""A rehash fix's trial: the folder's hashed copy, and every setting that names the folder pointed at it.

The copy is built in the trial's scratch folder; the user's folder and configuration files are only read. A
variable gets the copy's path in the trial's environment (each SSL_CERT_DIR entry that names the folder, alone);
a configuration key is set to it on a copy of its file, named by the variable the client finds that file by.
"""

from __future__ import annotations

import os

from cadoctor._facts.certs.rehash import hashed_copy
from cadoctor._fixes.rehash import folder_variables, naming, same_folder
from cadoctor._fixes.settings import edited_copy, setting_edit
from cadoctor._model import Facts
from cadoctor._rules.client_table import SETTINGS


def rehashed_env(folder: str, facts: Facts, scratch: str, index: int) -> tuple[dict[str, str], str]:
    """The trial environment's changes that redirect the folder to a hashed copy, and what the evidence says of it.

    Raises OSError when the copy cannot be built (the trial then does not run).
    """
    place = os.path.join(scratch, "rehash-%d" % index)
    copy = os.path.join(place, "folder")
    os.makedirs(copy)
    links = hashed_copy(folder, copy)
    lists, cwd = folder_variables(facts), facts.runtime.cwd
    env: dict[str, str] = {}
    for position, name in enumerate(naming(facts, folder)):
        if name in SETTINGS:
            edit = setting_edit(facts, name, copy)
            if edit is not None:
                env[edit.variable] = edited_copy(edit, place, position)
            continue
        value = facts.runtime.environment.get(name, "")
        entries = value.split(os.pathsep) if name in lists else [value]
        env[name] = os.pathsep.join(copy if same_folder(e, folder, cwd) else e for e in entries)
    said = "tried on a hashed copy of %s (%d hash link%s, made as `openssl rehash` makes them; %s pointed at it)" % (
        folder,
        links,
        "" if links == 1 else "s",
        " and ".join(naming(facts, folder)),
    )
    return env, said
