"""Everything that reads the world: the only layer with I/O. It records what it could not read; it never judges.

Seven families, each a subpackage whose `__init__` states its contract, importing one way (a family imports
only those before it):

    fs, child  ->  certs, binary  ->  process, interpreters  ->  tls  ->  subjects

- `fs`: paths inside a root (a container's, an image's), bounded opens that never block, who may write a path.
- `child`: the stdlib-only code that runs inside the examined interpreter and the trial children.
- `certs`: DER, PEM, OpenSSL's names and subject hashes, bundles and stores.
- `binary`: what ELF files, the loader's search and OpenSSL's build strings say, running nothing.
- `process`: another process read from outside (/proc, or psutil where there is none).
- `interpreters`: proving an interpreter, running one, its installed clients, the user's Python.
- `tls`: live handshakes and the offline verifier.
- `subjects`: one dispatch over what `check` examines (this interpreter, `--python`, `--pid`, `--root`), and
  what `ps` and `inspect` collect; each gives the same records of `_model`.

`memo` (what one check remembers while it runs) is the one module beside them.
"""
