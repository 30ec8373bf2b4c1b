from __future__ import annotations

import os
import sys

try:
    from scaffold.cli import entry
except KeyboardInterrupt:  # Ctrl-C while the command is still loading
    print("microgate: cancelled; nothing was written.", file=sys.stderr)
    sys.stderr.flush()
    os._exit(130)
entry()
