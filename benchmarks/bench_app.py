"""Benchmark: each page's speed, in process and in a real browser, against targets.

Run ``python benchmarks/bench_app.py`` (``--repeat N``: best of N, the machine is shared and
the best run is the least disturbed; default 3 in process, 2 in the browser). Three sections:

Compute (skip with ``--no-compute``): for every page, the same ``ui`` helper the page calls
with the page's default inputs, in process, with the Streamlit cache cleared before each call
so that every timing is a cold run. Each time is printed with its budget and its ratio to a
reference workload timed in the same process (Black-Scholes prices and greeks of 1,000,000
options), so that figures from machines of different speed compare.

Browser (skip with ``--no-browser``): the app served by ``streamlit run`` on 127.0.0.1 at a
free port (``HEDGELIB_OFFLINE=1``), driven by a headless Chromium. For Home and every page
of :func:`ui.pages.available_pages`:

- *cold*: first load until idle in a fresh browser context (nothing cached in the browser);
- *warm*: the same in a new tab of that context (static files cached, a new session);
- *rerun*: the default rerun ("r" key) until idle; a rerun that is not seen to start is
  reported as such, never timed;
- *all drawn*: from navigation until the page last changed once fully drawn: every plotly
  chart with its ``.js-plotly-plot .main-svg``, no skeleton left (Streamlit loads plotly and
  other elements' code lazily, so they draw after the script is idle), stable for a while.

"Idle" is the app's script state back to ``notRunning`` after a run was seen, with no status
widget. The server's cache is warm after the first repeat, so the best of N is the page's
own cost, not its first computation. The floor of the machine is measured the same way, in
the same process: a hello-world Streamlit page, a page with one plotly chart, and a page of
the app's size with nothing computed (the Hedge Lab's mix of inputs, metrics, sections,
formulas, four charts and a table), served from a temporary folder; every page is printed
with its ratio to that last floor, what Streamlit and the browser cost for a page like it.
A last floor is the app's own Hedge Lab cut short after its headline numbers (the sidebar's
form, the metrics and the takeaway; no chart, table or explanation): how fast a page with
this form can load at all, whatever its results show.

Load (``--sessions N``, instead of the two sections above): N sessions open the Monte Carlo
Hedge Lab at once and run its default; prints each session's time to idle, the time until
all are idle, any error boxes, and the server's peak RSS (sampled from /proc).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.server import peak_rss, rss_mb, serve  # noqa: E402  (the browser tests' server)

# The system Chromium when there is one (Playwright may not be able to download its own).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGET_IDLE = 1.5  # seconds from navigation to idle
TARGET_RERUN = 1.0  # seconds from the rerun key to idle
TIMEOUT_MS = 180_000
CHARTS_STABLE_MS = 750  # nothing redrawn for this long: the page is drawn


# --------------------------------------------------------------------------------------------
# compute, in process


def _quiet_streamlit() -> None:
    # Cached helpers called outside a Streamlit run log a warning per call: noise here.
    from streamlit import config
    from streamlit.logger import set_log_level

    config.get_option("logger.level")  # parse the config first: parsing resets the log level
    set_log_level("error")


def _best(fn: Callable[[], Any], repeat: int) -> float:
    import streamlit as st

    times = []
    for _ in range(repeat):
        st.cache_data.clear()  # every run cold: the page's first visit with these inputs
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _reference() -> None:
    import numpy as np

    from hedgelib import bs_greeks, bs_price

    s = np.linspace(50.0, 150.0, 1_000_000)
    bs_price(s, 100.0, 0.25, 0.2, 0.03)
    bs_greeks(s, 100.0, 0.25, 0.2, 0.03)


def _cases() -> list[tuple[str, float, Callable[[], Any]]]:
    """(label, budget in seconds, call) for every page present.

    Each page's cases are built from its current inputs; a page whose inputs moved since is
    reported as skipped (with the reason) instead of stopping the others.
    """
    from hedgelib.book import preset_book
    from hedgelib.conventions import TRADING_DAYS_PER_YEAR
    from hedgelib.scenario import default_book, hedge_lab_fields
    from ui.pages import available_pages
    from ui.source_picker import current_source
    from ui.state import DEFAULT_MARKET

    state: dict[str, Any] = {}
    market = dict(DEFAULT_MARKET)
    market_in = {k: market[k] for k in ("spot", "rate", "dividend_yield")}
    pages = {p.path for p in available_pages()}
    book = default_book(market["spot"]).to_dict()
    choice = current_source(state)
    cases: list[tuple[str, float, Callable[[], Any]]] = []

    def option_book() -> None:
        from ui.option_book import analyse_book

        # The page's default preset (straddle, 63 trading days, width 10%).
        straddle = preset_book("straddle", market["spot"], 63 / TRADING_DAYS_PER_YEAR, width=0.10).to_dict()
        cases.append(("Option Book: analyse_book (default straddle)", 0.5,
                      lambda: analyse_book(straddle, market["spot"], market["volatility"], market["rate"],
                                           market["dividend_yield"], 0.0)))

    def underlying() -> None:
        from ui.sources import default_source
        from ui.underlying import analyse_history, simulate_fan

        prices = choice.history.prices
        cases.append(("Underlying: analyse_history (S&P 500 2014-2018, 21 d, VIX)", 0.5,
                      lambda: analyse_history(prices, 21, True)))
        model = default_source()["model"]
        cases.append(("Underlying: simulate_fan (GBM, 1,000 x 252)", 0.5,
                      lambda: simulate_fan(model, float(model["spot"]), 1.0, 252, 1000, 7)))

    def hedge_lab() -> None:
        from ui.hedge_lab import run_lab
        from ui.presets import PRESETS, preset_settings

        lab = {k: f.default for k, f in hedge_lab_fields().items()}
        cases.append(("Hedge Lab: run_lab defaults (10,000 x 63)", 1.0, lambda: run_lab(dict(lab), book, market_in)))
        hull = PRESETS[0]
        hull_settings = preset_settings(hull)
        hull_market = {k: hull.market[k] for k in ("spot", "rate", "dividend_yield")}
        cases.append(("Hedge Lab: run_lab Hull preset (10,000 x 100)", 1.5,
                      lambda: run_lab(dict(hull_settings), dict(hull.book), hull_market)))

    def backtest() -> None:
        from hedgelib.scenario import backtest_fields
        from ui.backtest import default_dates, real_history, run_backtest
        from ui.presets import PRESETS, preset_settings

        # The page's defaults (dates: the last year of the window).
        full, window, _ = real_history(choice, state)
        start, end = default_dates(window)
        bt = {**{k: f.default for k, f in backtest_fields().items()}, "start": start, "end": end}
        cases.append(("Backtest: run_backtest defaults (monthly, 2018, VIX)", 1.5,
                      lambda: run_backtest(dict(bt), full.prices)))
        short_vol = next(p for p in PRESETS if p.key == "short_vol_2018")
        sv = preset_settings(short_vol)
        cases.append(("Backtest: run_backtest short-vol preset (13 trades)", 1.5,
                      lambda: run_backtest(dict(sv), full.prices)))

    def rule_comparison() -> None:
        from hedgelib.scenario import default_setups, rule_comparison_fields
        from ui.rule_comparison import run_comparison

        rc = {**{k: f.default for k, f in rule_comparison_fields().items()}, "setups": {"rows": default_setups()}}
        cases.append(("Rule Comparison: run_comparison defaults", 4.0,
                      lambda: run_comparison(dict(rc), book, market_in)))

    def risk() -> None:
        from ui.risk_page import (
            base_lab_settings,
            form_fields,
            lab_settings,
            risk_fields,
            run_simulation,
        )

        rk = {k: f.default for k, f in risk_fields().items()}
        settings = lab_settings({k: rk[k] for k in form_fields() if k in rk}, base_lab_settings(state, market))
        cases.append(("Risk: run_simulation defaults", 1.0, lambda: run_simulation(dict(settings), book, market_in)))

    builders = [("pages/1_Option_Book.py", option_book), ("pages/2_Underlying.py", underlying),
                ("pages/3_Hedge_Lab.py", hedge_lab), ("pages/4_Historical_Backtest.py", backtest),
                ("pages/5_Rule_Comparison.py", rule_comparison), ("pages/6_Risk.py", risk)]
    for path, build in builders:
        if path not in pages:
            continue
        try:
            build()
        except Exception as exc:  # noqa: BLE001 - one page's drift must not hide the others
            print(f"skipped {path}: {type(exc).__name__}: {exc}")
    return cases


def compute_section(repeat: int) -> None:
    _quiet_streamlit()
    cases = _cases()
    _reference()  # warm-up: first-call costs out of the reference
    ref = _best(_reference, repeat)
    print(f"cores: {os.cpu_count()}   reference (BS price + greeks of 1,000,000 options): {ref:.3f} s")
    print(f"{'page: call':<68} {'time s':>7} {'budget':>7} {'/budget':>8} {'/ref':>6}")
    over = []
    for label, budget, fn in cases:
        t = _best(fn, repeat)
        flag = "" if t <= budget else "  OVER BUDGET"
        if flag:
            over.append(label)
        print(f"{label:<68} {t:7.3f} {budget:7.2f} {t / budget:8.2f} {t / ref:6.1f}{flag}")
    print("compute: all within budget" if not over else f"compute over budget: {', '.join(over)}")


# --------------------------------------------------------------------------------------------
# browser: a server, a headless Chromium, and what the page reports of itself

# Installed before any page script: records the app's script-state changes and when the
# number of drawn plotly charts last changed, in page time (ms since navigation started).
_RECORDER = """
(() => {
  const b = window.__bench = {states: [], drawn: '', drawnTime: 0};
  const look = () => {
    const app = document.querySelector("[data-testid='stApp']");
    const state = app ? app.getAttribute('data-test-script-state') : null;
    const last = b.states.length ? b.states[b.states.length - 1].state : null;
    if (state !== last) b.states.push({state, t: performance.now()});
    const drawn = [".js-plotly-plot .main-svg", "[data-testid='stPlotlyChart']", "[data-testid='stSkeleton']"]
      .map(q => document.querySelectorAll(q).length).join(':');
    if (drawn !== b.drawn) { b.drawn = drawn; b.drawnTime = performance.now(); }
  };
  new MutationObserver(look).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-test-script-state'],
  });
})();
"""

# Truthy (the page time) once a run that started after ``since`` has ended and the app is idle.
# A rerun's request counts as its start: a fast one can end before "running" is ever drawn.
_IDLE_AFTER = """
(since) => {
  const b = window.__bench;
  const started = s => s.t >= since && (s.state === 'running' || s.state === 'rerunRequested');
  if (!b || !b.states.some(started)) return false;
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector("[data-testid='stStatusWidget']")) return false;
  return performance.now();
}
"""

# Truthy ([charts, page time of the last change]) once the page is drawn: no skeleton left (the
# grey boxes Streamlit shows while an element's code loads: Streamlit loads plotly, metrics and
# others lazily, so they draw after the script is idle), every plotly chart with its svg, and
# nothing changed for a while.
_DRAWN = f"""
() => {{
  const b = window.__bench;
  if (!b || document.querySelector("[data-testid='stSkeleton']")) return false;
  const charts = [...document.querySelectorAll("[data-testid='stPlotlyChart']")];
  if (charts.some(c => !c.querySelector('.js-plotly-plot .main-svg'))) return false;
  return performance.now() - b.drawnTime >= {CHARTS_STABLE_MS} ? [charts.length, b.drawnTime] : false;
}}
"""

_ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


def _idle_after(page, since: float, timeout: float = TIMEOUT_MS) -> float | None:
    """Page time (ms) at which a run started after ``since`` was over; None if none ran."""
    try:
        return float(page.wait_for_function(_IDLE_AFTER, arg=since, polling=20, timeout=timeout).json_value())
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: no run was seen
        return None


def _drawn_time(page, idle: float | None) -> tuple[int, float | None]:
    """(plotly charts, page time in ms when the page was last redrawn, at least ``idle``) once
    it is fully drawn; (charts, None) if it was still not after half a minute."""
    try:
        count, when = page.wait_for_function(_DRAWN, polling=50, timeout=30_000).json_value()
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: something never drew
        return page.locator("[data-testid='stPlotlyChart']").count(), None
    return int(count), max(float(when), idle or 0.0)


def measure_page(browser, url: str) -> dict[str, float | None]:
    """One cold load, its charts and a rerun in a fresh context, then a warm load in a new tab."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(_RECORDER)
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit")
        cold = _idle_after(page, 0.0)
        n_charts, drawn = _drawn_time(page, cold)
        since = float(page.evaluate("performance.now()"))
        page.keyboard.press("r")  # Streamlit's rerun shortcut (the focus is on the page body)
        rerun = _idle_after(page, since, timeout=15_000)
        errors = page.locator(_ERRORS).count()
        tab = context.new_page()
        tab.goto(url, wait_until="commit")
        warm = _idle_after(tab, 0.0)
    finally:
        context.close()
    ms = 1e-3
    return {"cold": cold and cold * ms, "warm": warm and warm * ms, "rerun": rerun and (rerun - since) * ms,
            "drawn": drawn and drawn * ms, "n_charts": n_charts, "errors": errors}


def best_of(runs: list[dict[str, float | None]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in runs[0]:
        values = [r[key] for r in runs if r[key] is not None]
        out[key] = (max(values) if key in ("n_charts", "errors") else min(values)) if values else None
    return out


def page_urls() -> list[tuple[str, str]]:
    """(title, path) of Home and every page; a page's path is its file's stem without the
    leading number, as Streamlit's navigation names it."""
    from ui.pages import available_pages

    return [("Home", "/")] + [(p.title, "/" + re.sub(r"^\d+[_ -]*", "", Path(p.path).stem))
                              for p in available_pages()]


_FLOOR_MAIN = """
import streamlit as st

def hello():
    st.write("Hello, world")

st.navigation([st.Page(hello, title="Hello", default=True), st.Page("plot.py", title="Plot"),
               st.Page("page.py", title="Page")]).run()
"""
_FLOOR_PLOT = """
import numpy as np
import plotly.graph_objects as go
import streamlit as st

x = np.arange(100)
st.plotly_chart(go.Figure(go.Scatter(x=x, y=np.sin(x / 10))))
"""

# The element mix of the Hedge Lab page (counted from its render) with nothing computed: what
# Streamlit and the browser cost for a page of that size, the lean version of any page.
_FLOOR_PAGE = """
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(layout="wide")
st.title("A page of the app's size")
with st.sidebar:
    for i in range(5):
        st.selectbox(f"Choice {i}", ["a", "b", "c"])
    for i in range(29):
        st.number_input(f"Input {i}", value=float(i))
for row in range(3):
    for col, i in zip(st.columns(4), range(4 * row, 4 * row + 4)):
        col.metric(f"Metric {i}", f"{i:.2f}")
for i in range(8):
    with st.expander(f"Section {i}"):
        st.markdown(f"Text {i}")
        st.caption(f"Caption {i}")
for i in range(3):
    st.latex(r"\\sigma^2 \\Gamma S^2 / 2")
x = np.arange(100)
for col, k in zip(st.columns(2) + st.columns(2), range(4)):
    col.plotly_chart(go.Figure(go.Scatter(x=x, y=np.sin(x / (10 + k)))))
st.dataframe(pd.DataFrame(np.arange(60.0).reshape(10, 6), columns=list("abcdef")))
for i in range(4):
    st.download_button(f"Download {i}", "a,b\\n1,2\\n", file_name=f"f{i}.csv")
"""


# Where the Hedge Lab's results start: the cut-short copy stops its script there.
_RESULTS_MARK = "# ---- P&L distribution"


def _form_only_copy(folder: Path) -> bool:
    """The app's entry point and pages in ``folder`` (the library comes from the source tree),
    the Hedge Lab stopped before its results; False if the page has no such mark any more."""
    folder.mkdir()
    shutil.copy(ROOT / "app.py", folder / "app.py")
    shutil.copytree(ROOT / "pages", folder / "pages")
    shutil.copytree(ROOT / ".streamlit", folder / ".streamlit")
    page = folder / "pages" / "3_Hedge_Lab.py"
    text = page.read_text()
    if _RESULTS_MARK not in text:
        return False
    page.write_text(text.replace(_RESULTS_MARK, "st.stop()\n" + _RESULTS_MARK, 1))
    return True


def _fmt(value: float | None, floor: float | None = None) -> str:
    if value is None:
        return f"{'n/a':>6}" + (" " * 8 if floor is not None else "")
    text = f"{value:6.2f}"
    if floor:
        text += f" (x{value / floor:4.1f})"
    elif floor is not None:
        text += " " * 8
    return text


def browser_section(repeat: int) -> None:
    from playwright.sync_api import sync_playwright

    pages = page_urls()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        (folder / "floor.py").write_text(_FLOOR_MAIN)
        (folder / "plot.py").write_text(_FLOOR_PLOT)
        (folder / "page.py").write_text(_FLOOR_PAGE)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            with serve(folder, "floor.py", folder / "floor.log") as (floor_url, _):
                measure_page(browser, floor_url)  # warm-up: the browser's and the server's first page
                hello = best_of([measure_page(browser, floor_url + "/") for _ in range(repeat)])
                plot = best_of([measure_page(browser, floor_url + "/plot") for _ in range(repeat)])
                lean = best_of([measure_page(browser, floor_url + "/page") for _ in range(repeat)])
            form_only = None
            if _form_only_copy(folder / "form_only"):
                with serve(folder / "form_only", "app.py", folder / "form_only.log") as (cut_url, _):
                    measure_page(browser, cut_url + "/")
                    form_only = best_of([measure_page(browser, cut_url + "/Hedge_Lab") for _ in range(repeat)])
            with serve(ROOT, "app.py", folder / "app.log") as (url, pid):
                with peak_rss(pid) as peak:
                    results = [(title, best_of([measure_page(browser, url + path) for _ in range(repeat)]))
                               for title, path in pages]
                rss_end = rss_mb(pid)
        finally:
            browser.close()
    print(f"\nbrowser: headless Chromium, best of {repeat}; seconds (x ratio to a page of this size); "
          f"targets: load idle < {TARGET_IDLE} s, rerun < {TARGET_RERUN} s")
    print(f"{'page':<30} {'cold load':>15} {'warm load':>15} {'rerun':>15} {'all drawn':>15} charts err")
    floors = [("floor: hello world", hello, None), ("floor: one plotly chart", plot, None),
              ("floor: a page of this size", lean, None)]
    if form_only is not None:
        floors.append(("floor: Hedge Lab form+metrics", form_only, None))
    for title, r, ref in floors:
        print(f"{title:<30} {_fmt(r['cold'], ref):>15} {_fmt(r['warm'], ref):>15} {_fmt(r['rerun'], ref):>15} "
              f"{_fmt(r['drawn'], ref):>15} {r['n_charts'] or 0:6d} {r['errors'] or 0:3d}")
    over = []
    for title, r in results:
        flags = []
        if r["cold"] is None or r["warm"] is None or max(r["cold"], r["warm"]) > TARGET_IDLE:
            flags.append("load")
        if r["rerun"] is None or r["rerun"] > TARGET_RERUN:
            flags.append("rerun")
        if flags:
            over.append(f"{title} ({', '.join(flags)})")
        print(f"{title:<30} {_fmt(r['cold'], lean['cold'])} {_fmt(r['warm'], lean['warm'])} "
              f"{_fmt(r['rerun'], lean['rerun'])} {_fmt(r['drawn'], lean['drawn'])} "
              f"{r['n_charts'] or 0:6d} {r['errors'] or 0:3d}" + ("  OVER TARGET" if flags else ""))
    print(f"app server RSS: peak {peak[0]:.0f} MB, at the end {rss_end:.0f} MB")
    print("browser: all within target" if not over else f"browser over target: {'; '.join(over)}")


def sessions_section(n: int, repeat: int) -> None:
    """N sessions on the Hedge Lab at once; the first round meets a cold server cache."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            with serve(ROOT, "app.py", Path(tmp) / "app.log") as (url, pid):
                print(f"\n{n} sessions on the Hedge Lab at once (default run); server RSS at start "
                      f"{rss_mb(pid):.0f} MB")
                for round_ in range(1, repeat + 1):
                    contexts = []
                    for _ in range(n):
                        context = browser.new_context(viewport={"width": 1400, "height": 1000})
                        context.add_init_script(_RECORDER)
                        contexts.append(context)
                    pages = [c.new_page() for c in contexts]
                    with peak_rss(pid) as peak:
                        t0 = time.perf_counter()
                        for page in pages:
                            page.goto(url + "/Hedge_Lab", wait_until="commit")
                        idle = [_idle_after(page, 0.0) for page in pages]
                        wall = time.perf_counter() - t0
                    errors = sum(page.locator(_ERRORS).count() for page in pages)
                    for c in contexts:
                        c.close()
                    times = " ".join("n/a" if t is None else f"{t / 1000:.1f}" for t in idle)
                    cache = "cold" if round_ == 1 else "warm"
                    print(f"round {round_} ({cache} server cache): time to idle per session (s): {times}; "
                          f"all idle after {wall:.1f} s; errors {errors}; server peak RSS {peak[0]:.0f} MB")
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed runs per case, best kept (default 3 in process, 2 in the browser, "
                             "1 round of sessions)")
    parser.add_argument("--no-compute", action="store_true", help="skip the in-process compute section")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser section")
    parser.add_argument("--sessions", type=int, default=0, metavar="N",
                        help="instead: N sessions on the Hedge Lab at once (e.g. 8)")
    args = parser.parse_args()
    os.environ.setdefault("HEDGELIB_OFFLINE", "1")  # the defaults need no network

    started = time.perf_counter()
    if args.sessions:
        sessions_section(args.sessions, args.repeat or 1)
    else:
        if not args.no_compute:
            compute_section(args.repeat or 3)
        if not args.no_browser:
            browser_section(args.repeat or 2)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cores: {os.cpu_count()}; this process's peak RSS {rss:.0f} MB; "
          f"{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
