"""Benchmarks: a registry of cases and a runner that writes one tidy row per run.

Run ``python -m benchmarks --help`` (or ``make bench``). Results go to ``benchmarks/results/``
(not committed) and are printed as a table.
"""
