"""``python -m cbecopt`` runs the command line."""

from cbecopt.cli import main

main()
