"""The module ``Route`` lived in before 0.3, under its old name; kept as an alias: use :mod:`labelf_testkit.route`."""

from __future__ import annotations

from .route import Route, RouteFaults, TokenFaults, TokenRoute

__all__ = ["Route", "RouteFaults", "TokenFaults", "TokenRoute"]
