"""Where the project's shared data folder is: `shared/data` beside the repository (as in CI),
or `$NASH_SHARED_DATA`. Tests that read it skip when it is absent."""

import os
from pathlib import Path

SHARED_DATA = Path(os.environ.get("NASH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
