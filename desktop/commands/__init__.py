"""The ``veil`` subcommands: every module here with a ``register(subparsers)``.

``register`` adds the command's parser and sets ``run=<function(args) -> exit code>``.
Modules are found by listing this package, so adding a command is adding a
file (``build.spec`` collects the submodules for the bundle).
"""

from __future__ import annotations

import importlib
import pkgutil


def discover() -> list:
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    return modules
