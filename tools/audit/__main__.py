"""`python -m tools.audit --stack dev [--endpoint URL]` (see tools/audit/cli.py)."""

import sys

from tools.audit.cli import main

sys.exit(main())
