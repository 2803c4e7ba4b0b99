"""`python -m bot` is `gutskin-bot`."""

import sys

from bot.cli.commands import main

sys.exit(main())
