from __future__ import annotations

from scaffold.cli import main

raise SystemExit(main())
