"""Setting a page's number inputs under AppTest, counts included (typed as text)."""

from __future__ import annotations


def set_number(at, key: str, value) -> None:
    """Set the number input ``key``; a count (drawn as text under ``key + "_text"``) gets
    ``value`` typed in."""
    if any(w.key == key + "_text" for w in at.text_input):
        at.text_input(key=key + "_text").input(str(value))
    else:
        at.number_input(key=key).set_value(value)
