"""Scenarios: dict -> query params -> dict, dict -> JSON -> dict, and clear errors for bad files."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib.conventions import HedgeLibError
from hedgelib.scenario import (
    SCENARIO_FORMAT,
    ScenarioError,
    ScenarioSchema,
    hedge_lab_fields,
    hedge_lab_schema,
)

FIELDS = hedge_lab_fields()
SCHEMA = hedge_lab_schema()

DEMO = ScenarioSchema(
    "demo",
    {"model": "GBM", "vol_pct": 20.0, "n_paths": 1000, "antithetic": False,
     "book": {"legs": [], "stock": 0.0}},
    choices={"model": ("GBM", "Heston", "Merton")},
    bounds={"vol_pct": (0.0, 300.0), "n_paths": (1, 100_000)},
)

demo_scenarios = st.fixed_dictionaries({
    "model": st.sampled_from(["GBM", "Heston", "Merton"]),
    "vol_pct": st.floats(0.0, 300.0, allow_nan=False),
    "n_paths": st.integers(1, 100_000),
    "antithetic": st.booleans(),
    "book": st.fixed_dictionaries({
        "legs": st.lists(st.fixed_dictionaries({
            "kind": st.sampled_from(["call", "put"]),
            "strike": st.floats(1e-3, 1e6, allow_nan=False),
            "quantity": st.floats(-1e3, 1e3, allow_nan=False),
        }), max_size=3),
        "stock": st.floats(-1e3, 1e3, allow_nan=False),
    }),
})


def _hedge_lab_value(name: str):
    f = FIELDS[name]
    if f.choices is not None:
        return st.sampled_from(f.choices)
    if isinstance(f.default, int):
        return st.integers(int(f.low), int(f.high))
    return st.floats(f.low, f.high, allow_nan=False)


hedge_lab_scenarios = st.fixed_dictionaries({name: _hedge_lab_value(name) for name in FIELDS})


@settings(max_examples=60, deadline=None)
@given(demo_scenarios)
def test_query_params_round_trip(scenario):
    params = DEMO.to_query_params(scenario)
    assert all(isinstance(v, str) for v in params.values())
    found, problems = DEMO.from_query_params(params)
    assert problems == []
    assert DEMO.complete(found) == scenario
    # Only what differs from the defaults travels in the link.
    assert set(params) == {k for k, v in scenario.items() if v != DEMO.defaults[k]}


@settings(max_examples=60, deadline=None)
@given(demo_scenarios)
def test_json_round_trip(scenario):
    assert DEMO.from_json(DEMO.to_json(scenario)) == scenario
    assert DEMO.from_json(DEMO.to_json(scenario).encode("utf-8")) == scenario


@settings(max_examples=30, deadline=None)
@given(hedge_lab_scenarios)
def test_hedge_lab_round_trips(inputs):
    found, problems = SCHEMA.from_query_params(SCHEMA.to_query_params(inputs))
    assert problems == []
    full = SCHEMA.complete(inputs)
    assert SCHEMA.complete(found) == full
    assert SCHEMA.from_json(SCHEMA.to_json(inputs)) == full


def test_floats_survive_bit_for_bit():
    x = 0.1 + 0.2  # 0.30000000000000004: repr keeps every digit
    params = DEMO.to_query_params({"vol_pct": x})
    assert params == {"vol_pct": "0.30000000000000004"}
    assert DEMO.from_query_params(params)[0]["vol_pct"] == x


def test_query_params_report_and_skip_bad_values():
    found, problems = DEMO.from_query_params({
        "model": "Bachelier", "vol_pct": "-5", "n_paths": "12.5", "antithetic": "maybe",
        "book": "{not json", "utm_source": "mail",
    })
    assert found == {}
    assert problems == [
        "model: must be one of 'GBM', 'Heston', 'Merton', got 'Bachelier'",
        "vol_pct: must lie in [0.0, 300.0], got -5.0",
        "n_paths: must be a whole number, got '12.5'",
        "antithetic: must be true or false, got 'maybe'",
        "book: must be a JSON object, got '{not json' (Expecting property name enclosed in double quotes)",
    ]


def test_hostile_links_and_files_are_listed_not_crashed_on():
    # Deep nesting makes json.loads recurse past Python's limit; a 5,000-digit integer passes
    # its int-conversion cap: both used to escape as RecursionError / ValueError.
    found, problems = DEMO.from_query_params({
        "book": "[" * 3000, "n_paths": "9" * 5000, "vol_pct": "1e300",
    })
    assert found == {}
    assert problems[0].startswith("vol_pct: must lie in [0.0, 300.0]")
    assert problems[1].startswith("n_paths: must be a whole number, got '99999")
    assert problems[2] == "book: must be a JSON object, got '" + "[" * 77 + "...' (nested too deeply)"
    assert all(len(p) < 200 for p in problems)  # the link's text is cut, not echoed whole
    head = f'{{"format": "{SCENARIO_FORMAT}", "page": "demo", "inputs": '
    with pytest.raises(ScenarioError, match="nested too deeply"):
        DEMO.from_json(head + '{"book": ' + "[" * 5000 + "]" * 5000 + "}}")
    with pytest.raises(ScenarioError, match="a number too long to read"):
        DEMO.from_json(head + '{"n_paths": ' + "9" * 5000 + "}}")


def test_query_params_accept_lists_whole_floats_and_bool_words():
    found, problems = DEMO.from_query_params({"n_paths": ["5", "2000.0"], "antithetic": "On", "vol_pct": "25"})
    assert problems == []
    assert found == {"n_paths": 2000, "antithetic": True, "vol_pct": 25.0}
    assert isinstance(found["n_paths"], int) and isinstance(found["vol_pct"], float)


def test_json_file_layout():
    doc = json.loads(DEMO.to_json({"model": "Heston"}))
    assert doc["format"] == SCENARIO_FORMAT and doc["page"] == "demo" and doc["version"] == 1
    assert doc["inputs"] == {**DEMO.defaults, "model": "Heston"}
    # A file may leave inputs out: they take their defaults.
    short = json.dumps({"format": SCENARIO_FORMAT, "page": "demo", "inputs": {"n_paths": 5.0}})
    assert DEMO.from_json(short) == {**DEMO.defaults, "n_paths": 5}


def _doc(**changes):
    doc = {"format": SCENARIO_FORMAT, "page": "demo", "version": 1, "inputs": {}}
    doc.update(changes)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": ', "not valid JSON (Expecting value at line 1, column 12)"),
        (b"\xff\xfe\x00", "not a text file (it is not UTF-8)"),
        ("[1, 2]", "not a Hedge Lab scenario"),
        ('{"model": "GBM"}', "not a Hedge Lab scenario"),
        (_doc(page="option_book"), "it is a scenario for page 'option_book', not 'demo'"),
        (_doc(version=2), "version 2 is newer than this app reads (1)"),
        (_doc(inputs=[1]), '"inputs" must be a JSON object, got [1]'),
        (_doc(inputs={"volatility": 20}), "unknown input 'volatility'; this page's inputs are: "
                                          "antithetic, book, model, n_paths, vol_pct"),
        (_doc(inputs={"n_paths": "1000"}), "n_paths: must be a whole number, got '1000'"),
        (_doc(inputs={"n_paths": True}), "n_paths: must be a whole number, got True"),
        (_doc(inputs={"vol_pct": 400}), "vol_pct: must lie in [0.0, 300.0], got 400.0"),
        (_doc(inputs={"antithetic": 1}), "antithetic: must be true or false, got 1"),
        (_doc(inputs={"model": "heston"}), "model: must be one of 'GBM', 'Heston', 'Merton', got 'heston'"),
        (_doc(inputs={"book": "call"}), "book: must be a JSON object, got 'call'"),
    ],
)
def test_bad_files_say_what_is_wrong(text, message):
    with pytest.raises(ScenarioError) as info:
        DEMO.from_json(text)
    assert str(info.value).startswith("scenario file: ")
    assert message in str(info.value)
    assert isinstance(info.value, HedgeLibError)  # pages show it with ui.errors.stop_on_error


def test_non_finite_number_in_json_is_refused():
    with pytest.raises(ScenarioError, match="vol_pct: must be a finite number, got inf"):
        DEMO.from_json(_doc(inputs={"vol_pct": float("inf")}))


def test_schema_checks_itself():
    with pytest.raises(HedgeLibError, match="defaults\\['x'\\]"):
        ScenarioSchema("p", {"x": [1, 2]})
    with pytest.raises(HedgeLibError, match="'y'"):
        ScenarioSchema("p", {"x": 1.0}, bounds={"y": (0, 1)})
    with pytest.raises(ScenarioError, match="unknown input 'y'"):
        ScenarioSchema("p", {"x": 1.0}).complete({"y": 2.0})
