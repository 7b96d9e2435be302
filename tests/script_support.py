"""Loading the project's scripts (examples, benchmarks) in tests: they are not a package."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(path: Path, module_name: str) -> ModuleType:
    """Import the script at *path* as a module named *module_name*."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_benchmark(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` (which finds its helpers beside it)."""
    return load_script(ROOT / "benchmarks" / f"{name}.py", f"benchmark_{name}")
