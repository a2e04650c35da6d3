"""Bundled instance data for cbecopt (see README.md in this folder)."""
