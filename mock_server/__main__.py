"""``python -m labelf_testkit.mock_server serve`` is ``labelf-mock serve``."""

import sys

from .cli import main

sys.exit(main())
