"""`python -m runai_postrender` runs the command line, as the console script does."""

from runai_postrender.cli.entry import main

main()
