"""Test oracles: answers the tests compare cbecopt against, derived independently of it.

Closed forms from the literature, hand derivations and brute force live here, beside the tests
and outside ``src/cbecopt``: the package never uses them, and a test that checks cbecopt against
one of them checks it against numbers cbecopt did not compute. Each oracle is itself tested
against the published numbers it reproduces.

- :mod:`oracles.inventory`: the newsvendor with normal demand, call options on top of firm
  orders, quantity flexibility (the contracts model's closed forms).
- :mod:`oracles.tax`: the CBEC comprehensive tax rate.
- :mod:`oracles.stocking`: one SKU stocked in a bonded and a duty-paid domestic warehouse,
  an LP written out from the rules (general-trade tax at import, holding on the average
  stock, peak volume, weeks of cover), the warehouses enumerated.
"""
