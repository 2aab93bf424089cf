"""Every CSV the app offers goes through one writer that makes spreadsheet formulas inert."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from ui.widgets import csv_text

ROOT = Path(__file__).resolve().parents[2]


def test_formula_cells_are_made_inert_and_numbers_are_not():
    # A set-up name can come from a shared link: =HYPERLINK(...) used to be the first cell.
    frame = pd.DataFrame(
        {"set-up": ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "daily", "-0.25"],
         "pnl": [-1.5, 2.0, 0.0, 1.0, 3.0, -4.0, 5.0]},
    )
    text = csv_text(frame)
    back = pd.read_csv(io.StringIO(text), dtype={"set-up": str})
    assert back["set-up"].tolist() == [
        '\'=HYPERLINK("http://x","click")', "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx", "daily", "-0.25",
    ]
    assert back["pnl"].tolist() == frame["pnl"].tolist()  # numbers, negative ones included, untouched


def test_labels_and_index_are_made_inert_too():
    frame = pd.DataFrame({"=cmd": ["a"]}, index=pd.Index(["@x"], name="name"))
    assert csv_text(frame, index=True).splitlines() == ["name,'=cmd", "'@x,a"]


def test_no_page_writes_csv_another_way():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.to_csv\(", line) and path.name != "widgets.py"
    ]
    assert offenders == []
