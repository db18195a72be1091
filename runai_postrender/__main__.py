"""`python -m runai_postrender` runs the command line, as the console script does."""

from runai_postrender.cli import main

main(prog_name="runai-size")
