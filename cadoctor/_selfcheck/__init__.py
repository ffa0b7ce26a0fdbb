"""The import-time self-check: stdlib only, a few stat calls when the trust path is healthy."""
