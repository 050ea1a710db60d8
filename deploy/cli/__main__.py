from __future__ import annotations

import sys

from deploy.cli.main import main

sys.exit(main())
