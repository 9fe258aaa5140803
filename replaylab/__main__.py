"""`python -m replaylab`."""

from replaylab.cli import main

main()
