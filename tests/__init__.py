"""The test suite.

Some machines (this project's CI among them) set PYTHONDONTWRITEBYTECODE. The suite starts
the bot and its CLI in many subprocesses, and each would compile SQLAlchemy,
python-telegram-bot and the bot from source again (1-2 s a process): the tests cache
bytecode in __pycache__ (ignored by git), for themselves and for the processes they start.
"""

import os
import sys

sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
