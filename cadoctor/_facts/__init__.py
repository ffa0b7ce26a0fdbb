"""Everything that reads the world: the runtime probe, /proc, images, ELF, the loader, disk, bundles, handshakes.

The only layer that does I/O. It records what it could not read as facts; it never decides severity.
"""
