"""A form input declared once: its default (and so its type), label, bounds and help."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Field"]


@dataclass(frozen=True)
class Field:
    """One input of a page's form: default (its type), label, widget bounds, help (trader units)."""

    default: Any
    label: str
    help: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] | None = None
