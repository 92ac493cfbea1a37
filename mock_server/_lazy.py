"""The one lazy loader of the kit's two packages: each public name is imported from its module on first use.

A package lists its public names once, as the ``if TYPE_CHECKING:`` imports of its ``__init__.py`` (which type
checkers read, written ``from .module import Name as Name``).  At run time nothing is imported until a name is
first asked for; then that block is read (once) to learn which module holds each name, and ``__all__`` is the
list of those names.  So reading a light constant does not load Starlette, and installing the kit does not slow
down a pytest run that never uses it.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, init_file: str, internal: str | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` (a package or a module), whose source is ``init_file``.

    A name that is not public but is in the ``__all__`` of the ``internal`` module (relative to ``package``)
    is imported from there: importable, as before it moved, but not in ``__all__``.
    """
    # Relative imports resolve against the package: the module's own name for a package's __init__.py.
    anchor = package if Path(init_file).stem == "__init__" else package.rpartition(".")[0]

    def __getattr__(name: str) -> Any:
        names = _names(init_file)
        module = importlib.import_module(package)
        if name == "__all__":
            value: Any = [*(n for n in ("__version__",) if n in vars(module)), *sorted(names)]
        elif name in names:
            value = getattr(importlib.import_module(names[name], anchor), name)
        elif internal is not None and not name.startswith("__") and name in _internal_names(package, internal):
            value = getattr(importlib.import_module(internal, package), name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(importlib.import_module(package)), *_names(init_file), "__all__"})

    return __getattr__, __dir__


@cache
def _names(init_file: str) -> dict[str, str]:
    """Each name the ``if TYPE_CHECKING:`` block of ``init_file`` imports, and the module it comes from."""
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
    )
    return {
        alias.asname or alias.name: "." * node.level + (node.module or "")
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def _internal_names(package: str, internal: str) -> list[str]:
    names: list[str] = importlib.import_module(internal, package).__all__
    return names
