"""Benchmarks of beaker_server against stock jupyter_server (not tests).

Run from the repository root: ``python -m bench.run --help``.
"""
