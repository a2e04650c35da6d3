"""Exact multi-source capacitated facility location by Lagrangian branch-and-bound: the
``lagrangian`` method of the ``warehouses`` model (:mod:`cbecopt.methods.lagrangian`).

:mod:`.problem` (the arrays, and which models are covered), :mod:`.bound` (the Lagrangian
bound keeping the aggregate capacity row), :mod:`.knapsack` (its warehouse subproblem),
:mod:`.transport` (a set of open warehouses priced exactly), :mod:`.branch` (the search).
"""
