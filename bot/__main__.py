"""`python -m bot` is `gutskin-bot`."""

import sys

from bot.cli import main

sys.exit(main())
