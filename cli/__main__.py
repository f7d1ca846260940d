"""`python -m freesora.cli ...`: the same as the `freesora` command."""

from .main import main

raise SystemExit(main())
