"""The CSV validator: what it accepts, and rejections that name the problem and the line.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib.conventions import HedgeLibError
from hedgelib.market.csv import load_csv

DATA = Path(__file__).resolve().parents[1] / "data"


def _bars() -> pd.DataFrame:
    """Real ^GSPC daily bars for December 2018, read by pandas: the oracle for the files."""
    return pd.read_csv(DATA / "gspc_2018-12.csv", comment="#", index_col="Date", parse_dates=True)


# ---------------------------------------------------------------------------------------
# CSV upload
# ---------------------------------------------------------------------------------------


def _csv(rows: list[str], header: str = "Date,Close") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _days(n: int = 12, start: str = "2024-01-01") -> list[pd.Timestamp]:
    return list(pd.bdate_range(start, periods=n))


def _good_rows(n: int = 12) -> list[str]:
    return [f"{d.date()},{100 + i}" for i, d in enumerate(_days(n))]


class FakeUpload:
    """The parts of Streamlit's UploadedFile the loader uses: .name, .size, .getvalue()."""

    def __init__(self, data: bytes, name: str = "prices.csv"):
        self.name = name
        self._data = data
        self.size = len(data)

    def getvalue(self) -> bytes:
        return self._data


def test_csv_reads_every_kind_of_source(tmp_path):
    data = _csv(_good_rows())
    path = tmp_path / "my prices.csv"
    path.write_bytes(data)
    for src, source, name in [
        (path, "CSV file: my prices.csv", "my prices"),
        (str(path), "CSV file: my prices.csv", "my prices"),
        (data, "CSV upload", "data"),
        (io.BytesIO(data), "CSV upload: upload.csv", "upload"),
        (io.StringIO(data.decode()), "CSV upload: upload.csv", "upload"),
        (FakeUpload(data), "CSV upload: prices.csv", "prices"),
    ]:
        h = load_csv(src)
        assert h.source == source and h.name == name
        assert h.prices.tolist() == [100.0 + i for i in range(12)]
        assert h.as_of == h.last_date == pd.Timestamp("2024-01-16")
        assert h.warnings == ()
    assert load_csv(data, name="Mine").name == "Mine"


def test_csv_nasdaq_style_export_newest_first_with_dollars():
    # Built from the same real closes as gspc_2018-12.csv: MM/DD/YYYY, "$2,506.85", newest first.
    h = load_csv(DATA / "nasdaq_style_export.csv")
    np.testing.assert_allclose(h.prices.to_numpy(), _bars()["Close"].round(2).to_numpy())
    assert h.warnings == ("rows were newest first and were sorted oldest first",)
    assert "'Close/Last'" in h.description


def test_csv_comment_lines_and_column_choice():
    h = load_csv(DATA / "gspc_2018-12.csv")
    np.testing.assert_array_equal(h.prices.to_numpy(), _bars()["Close"].to_numpy())
    opens = load_csv(DATA / "gspc_2018-12.csv", price_column="open")
    assert opens.prices.iloc[0] == pytest.approx(2790.5)
    rows = [f"{d.date()},{100 + i},{(100 + i) * 0.98},5" for i, d in enumerate(_days())]
    adj = load_csv(_csv(rows, "Date,Close,Adj Close,Volume"))
    assert adj.prices.iloc[0] == pytest.approx(98.0)  # Adj Close beats Close
    single = load_csv(_csv(_good_rows(), "Trade Date,NAV per unit"))
    assert single.prices.iloc[-1] == 111.0
    swapped = load_csv(
        _csv([f"{100 + i};{d:%d.%m.%Y}" for i, d in enumerate(_days())], "Kurs;Datum"),
        date_column="Datum",
        price_column="Kurs",
    )
    assert swapped.first_date == pd.Timestamp("2024-01-01")


@pytest.mark.parametrize(
    ("rows", "header", "kw", "match"),
    [
        (["x,100"], "Foo,Bar", {}, r"no date column found .*'Foo', 'Bar'.*date_column="),
        (
            ["2024-01-02,1,2"],
            "Date,Open,High",
            {},
            r"several numeric columns \('Open', 'High'\).*price_column=",
        ),
        (["2024-01-02,x"], "Date,Note", {}, "no price column found"),
        (
            ["2024-01-02,1"],
            "Date,Close",
            {"price_column": "Last"},
            r"price_column='Last' is not a column; the columns are 'Date', 'Close'",
        ),
        (
            ["2024-01-02,1"],
            "Date,Close",
            {"date_column": "When"},
            r"date_column='When' is not a column",
        ),
    ],
)
def test_csv_column_detection_failures(rows, header, kw, match):
    with pytest.raises(HedgeLibError, match=match):
        load_csv(_csv(rows, header), **kw)


def test_csv_separators_encodings_and_number_formats():
    rows = [f"{d.date()};{1000 + i}" for i, d in enumerate(_days())]
    assert load_csv(_csv(rows, "Date;Close")).prices.iloc[0] == 1000.0
    tab = _csv([r.replace(";", "\t") for r in rows], "Date\tClose")
    assert len(load_csv(tab)) == 12
    assert (
        len(load_csv(b"\xef\xbb\xbf" + _csv(_good_rows()))) == 12
    )  # UTF-8 BOM (Excel "CSV UTF-8")
    assert len(load_csv(_csv(_good_rows()).decode().encode("utf-16"))) == 12  # with its BOM
    money = [f'{d.date()},"${1000 + i:,.2f}"' for i, d in enumerate(_days())]
    assert load_csv(_csv(money)).prices.iloc[-1] == 1011.0
    euro = [f"{d.date()},{1234 + i}.5 €" for i, d in enumerate(_days())]
    assert load_csv(_csv(euro)).prices.iloc[0] == 1234.5
    crlf = _csv(_good_rows()).replace(b"\n", b"\r\n")
    assert len(load_csv(crlf)) == 12
    blank = _csv(_good_rows()) + b"\n\n   \n"
    assert len(load_csv(blank)) == 12


def test_csv_dates_formats_times_and_ambiguity():
    days = _days(25)
    us = load_csv(_csv([f"{d:%m/%d/%Y},{10 + i}" for i, d in enumerate(days)]))
    eu = load_csv(_csv([f"{d:%d/%m/%Y},{10 + i}" for i, d in enumerate(days)]))
    assert us.dates.equals(eu.dates) and us.first_date == pd.Timestamp("2024-01-01")
    assert us.warnings == eu.warnings == ()  # days above 12 settle the order
    stamped = load_csv(_csv([f"{d.date()}T16:00:00-05:00,{10 + i}" for i, d in enumerate(days)]))
    assert stamped.dates.equals(us.dates)
    # 1 to 12 March 2024: every date also reads as day/month.
    short = [f"{d:%m/%d/%Y},{10 + i}" for i, d in enumerate(_days(8, "2024-03-01"))]
    amb = load_csv(_csv(short), min_rows=8)
    assert amb.first_date == pd.Timestamp("2024-03-01")
    assert "read as month/day (pass dayfirst=True for the other)" in amb.warnings[0]
    # dayfirst=True: 03/01/2024 is 3 January, ... 03/12/2024 is 3 December: newest last.
    flipped = load_csv(_csv(short), dayfirst=True, min_rows=8)
    assert flipped.first_date == pd.Timestamp("2024-01-03")


# Each rejection names the problem and the first offending line (the header is line 1).
BAD_CSV = [
    pytest.param(
        _good_rows()[:4] + ["2024-13-45,104"] + _good_rows()[5:],
        {},
        r"unparseable date '2024-13-45' on line 6",
        id="bad-date",
    ),
    pytest.param(
        _good_rows()[:2] + [",102"] + _good_rows()[3:],
        {},
        r"missing date on line 4",
        id="missing-date",
    ),
    pytest.param(
        _good_rows()[:6] + [_good_rows()[4]] + _good_rows()[7:],
        {},
        r"duplicate date 2024-01-05 on line 8 \(also on line 6\)",
        id="duplicate",
    ),
    pytest.param(
        [_good_rows()[i] for i in (0, 1, 2, 4, 3, 5, 6, 7, 8, 9, 10, 11)],
        {},
        r"not in date order: line 6 \(2024-01-04\) follows line 5 \(2024-01-05\).*oldest first",
        id="unsorted",
    ),
    pytest.param(
        _good_rows()[:3] + ["2024-01-04,"] + _good_rows()[4:],
        {},
        r"missing price on line 5 \(2024-01-04, column 'Close'\)",
        id="missing-price",
    ),
    pytest.param(
        _good_rows()[:3] + ["2024-01-04,NaN"] + _good_rows()[4:],
        {},
        r"missing price on line 5",
        id="nan-price",
    ),
    pytest.param(
        _good_rows()[:7] + ["2024-01-10,abc"] + _good_rows()[8:],
        {},
        r"price 'abc' on line 9 \(2024-01-10, column 'Close'\) is not a number",
        id="non-numeric",
    ),
    pytest.param(
        _good_rows()[:7] + ['2024-01-10,"1234,56"'] + _good_rows()[8:],
        {},
        r"price '1234,56' on line 9 .*decimal commas are not supported",
        id="decimal-comma",
    ),
    pytest.param(
        _good_rows()[:1] + ["2024-01-02,0"] + _good_rows()[2:],
        {},
        r"non-positive price '0' on line 3 \(2024-01-02\)",
        id="zero",
    ),
    pytest.param(
        _good_rows()[:1] + ["2024-01-02,-5.5"] + _good_rows()[2:],
        {},
        r"non-positive price '-5.5' on line 3",
        id="negative",
    ),
    pytest.param(
        _good_rows()[:1] + ["2024-01-02,inf"] + _good_rows()[2:],
        {},
        r"price 'inf' on line 3 is not finite",
        id="infinite",
    ),
    pytest.param(
        _good_rows()[:4] + ["2024-01-05,1,234.5"] + _good_rows()[5:],
        {},
        r"line 6 has 3 fields but the header has 2 \(an unquoted thousands separator",
        id="extra-fields",
    ),
    pytest.param(
        _good_rows()[:5], {}, r"too few rows: 5 daily closes, at least 10 needed", id="too-few"
    ),
    pytest.param(
        _good_rows(),
        {"min_rows": 20},
        r"too few rows: 12 daily closes, at least 20 needed",
        id="too-few-custom",
    ),
    pytest.param(
        [f"{d.date()} {h}:00,{100 + i}" for i, d in enumerate(_days(6)) for h in (10, 11)],
        {},
        r"duplicate date 2024-01-01 on line 3 \(also on line 2\) \(intraday data\?",
        id="intraday",
    ),
]


@pytest.mark.parametrize(("rows", "kw", "match"), BAD_CSV)
def test_csv_rejections_name_the_problem_and_the_line(rows, kw, match):
    with pytest.raises(HedgeLibError, match=match):
        load_csv(_csv(rows), **kw)


def test_csv_line_numbers_count_comments_and_blank_lines():
    text = (
        "# exported by a broker\n\nDate,Close\n"
        + "\n".join(_good_rows()[:5])
        + "\n2024-01-08,n/a\n"
    )
    # Header on line 3, five good rows on lines 4-8: the bad row is line 9.
    with pytest.raises(HedgeLibError, match=r"missing price on line 9 \(2024-01-08"):
        load_csv(text.encode())


def test_csv_trailing_empty_fields_are_not_extra_fields():
    h = load_csv(_csv([r + "," for r in _good_rows()]))
    assert h.prices.iloc[-1] == 111.0


def test_csv_missing_prices_can_be_dropped_with_a_warning():
    rows = _good_rows(14)
    rows[3] = "2024-01-04,"
    rows[8] = "2024-01-11,null"
    h = load_csv(_csv(rows), drop_missing=True)
    assert len(h) == 12 and pd.Timestamp("2024-01-04") not in h.dates
    assert h.warnings == ("2 rows without a price were dropped (first: line 5)",)


def test_csv_jumps_and_sparse_rows_are_flagged_not_rejected():
    rows = _good_rows()
    rows[6] = f"{_days()[6].date()},300"  # line 8
    h = load_csv(_csv(rows))
    assert len(h) == 12
    assert h.warnings[0].startswith(
        "jump between line 7 (2024-01-08, 105) and line 8 (2024-01-09, 300): log return +1.05"
    )
    assert h.warnings[1].startswith("jump between line 8 (2024-01-09, 300) and line 9")
    assert load_csv(_csv(rows), jump_threshold=2.0).warnings == ()
    weekly = [
        f"{d.date()},{100 + i}"
        for i, d in enumerate(pd.date_range("2024-01-05", periods=12, freq="W-FRI"))
    ]
    assert (
        "7 days apart (median): the data look weekly or monthly"
        in load_csv(_csv(weekly)).warnings[0]
    )


def test_csv_file_level_rejections(tmp_path):
    big = _csv(_good_rows())
    with pytest.raises(HedgeLibError, match=r"file too large: .* \(max_bytes=100\)"):
        load_csv(big, max_bytes=100)
    path = tmp_path / "big.csv"
    path.write_bytes(big)
    with pytest.raises(HedgeLibError, match="file too large"):
        load_csv(path, max_bytes=100)
    with pytest.raises(HedgeLibError, match="file too large"):
        load_csv(FakeUpload(big), max_bytes=100)
    with pytest.raises(HedgeLibError, match="file too large"):
        load_csv(io.BytesIO(big), max_bytes=100)
    for empty in (b"", b"  \n\n", FakeUpload(b"")):
        with pytest.raises(HedgeLibError, match="is empty"):
            load_csv(empty)
    with pytest.raises(HedgeLibError, match="has a header but no rows of data"):
        load_csv(b"Date,Close\n")
    with pytest.raises(
        HedgeLibError, match=r"line 1 must be a header .*looks like data: '2024-01-01,100'"
    ):
        load_csv(_csv(_good_rows()[1:], header="2024-01-01,100"))
    with pytest.raises(HedgeLibError, match="header \\(line 1\\) has one column 'Close'"):
        load_csv(b"Close\n1\n2\n")
    with pytest.raises(HedgeLibError, match="source is not a file"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(HedgeLibError, match="source must be a path, bytes or a file-like"):
        load_csv(12345)


def test_csv_binary_and_encoding_rejections():
    with pytest.raises(HedgeLibError, match=r"binary, not CSV text \(a NUL byte on line 3\)"):
        load_csv(b"Date,Close\n2024-01-01,1\n2024-01-02,\x00\x01\n")
    with pytest.raises(HedgeLibError, match=r"zip archive \(an Excel \.xlsx workbook\?\)"):
        load_csv(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))
    with pytest.raises(HedgeLibError, match=r"old Excel \.xls workbook"):
        load_csv(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    latin1 = "Date,Close,Note\n2024-01-01,1,ok\n2024-01-02,2,café\n".encode("latin-1")
    with pytest.raises(HedgeLibError, match=r"wrong encoding: byte 0xE9 on line 3 is not UTF-8"):
        load_csv(latin1)


def test_csv_argument_checks():
    with pytest.raises(HedgeLibError, match="min_rows must be at least 2"):
        load_csv(_csv(_good_rows()), min_rows=1)
    with pytest.raises(HedgeLibError, match="jump_threshold must be positive"):
        load_csv(_csv(_good_rows()), jump_threshold=0)
    with pytest.raises(HedgeLibError, match="name must be a non-empty string"):
        load_csv(_csv(_good_rows()), name="")


@settings(max_examples=40, deadline=None)
@given(
    prices=st.lists(
        st.floats(min_value=0.01, max_value=1e7, allow_nan=False), min_size=10, max_size=40
    ),
    newest_first=st.booleans(),
    style=st.sampled_from(["plain", "dollar", "grouped"]),
    date_fmt=st.sampled_from(["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d-%b-%Y"]),
)
def test_csv_round_trip(prices, newest_first, style, date_fmt):
    days = pd.bdate_range("2023-01-02", periods=len(prices))

    def fmt(p: float) -> str:
        if style == "dollar":
            return f"${p:.6f}"
        if style == "grouped":
            return f'"{p:,.6f}"'
        return repr(p)

    rows = [f"{d.strftime(date_fmt)},{fmt(p)}" for d, p in zip(days, prices, strict=True)]
    if newest_first:
        rows = rows[::-1]
    h = load_csv(_csv(rows), jump_threshold=100.0)
    assert h.dates.equals(pd.DatetimeIndex(days, name="date"))
    # Six decimals round by half a unit; the float nearest each value adds a few ulps.
    tol = 0 if style == "plain" else 5e-7 + 4 * float(np.spacing(max(prices)))
    np.testing.assert_allclose(h.prices.to_numpy(), prices, rtol=0, atol=tol)
    assert h.warnings == (
        ("rows were newest first and were sorted oldest first",) if newest_first else ()
    )


def test_a_header_with_too_many_columns_is_refused_at_the_header():
    # Without the cap, 200,000 header cells were each tried against 18 date formats (about
    # 47 CPU-seconds) before the file was accepted.
    header = ",".join(f"c{i}" for i in range(200_000))
    data = (header + "\n" + ",".join("1" for _ in range(200_000)) + "\n").encode()
    with pytest.raises(HedgeLibError, match="200,000 columns.*at most 200"):
        load_csv(data)
