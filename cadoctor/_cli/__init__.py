"""The command line: the fast argv paths and the typer app. Nothing imports this package."""
