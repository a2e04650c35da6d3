"""One module per model; :mod:`cbecopt.formulations.common` holds the shared building blocks."""
