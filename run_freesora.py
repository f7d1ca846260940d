"""Run the `freesora` command straight from the pack folder, with no install step.

    python custom_nodes/freesora-nodes/run_freesora.py key set
    python_embeded\\python.exe ComfyUI\\custom_nodes\\freesora-nodes\\run_freesora.py key set

The folder's name (e.g. `freesora-nodes`) is not an importable name, so this loads the folder
as the package `freesora`, the way ComfyUI loads it under its own name. ComfyUI never imports
this file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def main() -> int:
    if "freesora" not in sys.modules:
        root = Path(__file__).resolve().parent
        spec = importlib.util.spec_from_file_location(
            "freesora", root / "__init__.py", submodule_search_locations=[str(root)]
        )
        assert spec is not None
        assert spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules["freesora"] = package
        spec.loader.exec_module(package)
    from freesora.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
