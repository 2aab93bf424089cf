"""The app's pages, for the home page's table of contents.

Add a :class:`PageInfo` to :data:`PAGES` when you add a file under ``pages/``. The home page
lists only pages whose file exists, so an entry may land before its page. A page file with
no entry is still listed, described by the first line of its module docstring.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

__all__ = ["APP_ROOT", "FAVICON", "PAGES", "PageInfo", "available_pages"]

APP_ROOT = Path(__file__).resolve().parents[1]

# Every page's browser tab icon, drawn here and served inline: a ":material/...:" icon would
# be fetched from a font server, which an offline classroom does not reach.
FAVICON = str(APP_ROOT / "ui" / "assets" / "favicon.svg")


@dataclass(frozen=True)
class PageInfo:
    """One page: its file (relative to the app folder), title, icon and a one-line purpose."""

    path: str
    title: str
    summary: str
    icon: str = ":material/article:"


PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        path="pages/1_Option_Book.py",
        title="Option Book & Greeks",
        summary=(
            "Build an option book from a preset or leg by leg; see its payoff and value, "
            "net and per-leg greeks in trader units, greeks against spot, P&L heatmaps over "
            "spot x volatility and spot x time, key statistics, and an implied-volatility "
            "calculator."
        ),
        icon=":material/stacked_line_chart:",
    ),
    PageInfo(
        path="pages/2_Underlying.py",
        title="Underlying",
        summary=(
            "Pick the underlying: bundled real index data, a Yahoo Finance ticker, your own "
            "CSV, or a simulated market (GBM, Heston, Merton jumps, GARCH), optionally "
            "calibrated from the chosen history; see its prices, realised volatility against "
            "VIX, and simulated sample paths with a fan chart."
        ),
        icon=":material/show_chart:",
    ),
    PageInfo(
        path="pages/3_Hedge_Lab.py",
        title="Monte Carlo Hedge Lab",
        summary=(
            "Hedge the book on simulated paths: strategy, rebalancing rule, hedge and pricing "
            "volatility, costs and market impact; see hedged against unhedged P&L, risk, the "
            "attribution of P&L, costs and sample paths."
        ),
        icon=":material/science:",
    ),
    PageInfo(
        path="pages/4_Historical_Backtest.py",
        title="Historical Backtest",
        summary=(
            "Hedge a book on real prices: one replay from a chosen date, or a rolling "
            "programme (e.g. sell a one-month straddle every month at VIX); trades on the "
            "price chart, P&L split by greek, implied against realised volatility, and the "
            "results of every trade."
        ),
        icon=":material/history:",
    ),
    PageInfo(
        path="pages/5_Rule_Comparison.py",
        title="Rule Comparison",
        summary=(
            "Several hedging set-ups side by side on the same paths: the summary table, "
            "overlaid P&L distributions, hedge error against the number of rebalances with "
            "the Derman-Kamal curve, and the cost-versus-risk frontier across rules and band "
            "widths with Leland's and Whalley-Wilmott's predictions."
        ),
        icon=":material/compare_arrows:",
    ),
    PageInfo(
        path="pages/6_Risk.py",
        title="Risk",
        summary=(
            "The book's value at risk and expected shortfall, hedged and unhedged; a stress "
            "grid of spot and volatility shocks for the book and the hedged position; and "
            "historical VaR on the chosen real series."
        ),
        icon=":material/warning:",
    ),
    PageInfo(
        path="pages/7_Portfolio_Hedging.py",
        title="Portfolio Hedging",
        summary=(
            "Protect a portfolio: CPPI, TIPP, a synthetic or a bought put against buy-and-hold "
            "on simulated paths or real history (fans against the floor, the insurance hockey "
            "stick, breach probability, what the insurance costs, the 2000-2002 and 2008 crashes "
            "year by year); and a NASDAQ portfolio hedged with S&P 500 futures, its ratio "
            "re-estimated as data arrive."
        ),
        icon=":material/savings:",
    ),
    PageInfo(
        path="pages/8_Learned_Hedging.py",
        title="Learned Hedging",
        summary=(
            "Train a small neural hedge on simulated paths (JAX) to minimise the entropic risk, "
            "CVaR or variance of the hedged P&L with costs, and compare it on fresh paths with "
            "the delta, Whalley-Wilmott's band and Hull and White's minimum-variance delta: P&L, "
            "risk with standard errors, turnover, the learned policy and its no-trade band; and "
            "fit the minimum-variance delta on the S&P 500 and the VIX, out of sample."
        ),
        icon=":material/psychology:",
    ),
    PageInfo(
        path="pages/9_Live_Monitor.py",
        title="Live Monitor",
        summary=(
            "Monitor a live position: open it from the current book (kept in a local SQLite "
            "store), feed it a replay of a real series or Yahoo prices, and watch the price, "
            "P&L, greeks and hedge against target refresh on their own; accept or skip the "
            "trade tickets the rule raises, and download the blotter."
        ),
        icon=":material/monitor_heart:",
    ),
)


def _docstring_summary(path: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, UnicodeDecodeError):
        doc = None
    return doc.strip().splitlines()[0] if doc else ""


def _title_from_filename(path: Path) -> str:
    stem = path.stem.split("_", 1)[1] if "_" in path.stem and path.stem.split("_", 1)[0].isdigit() else path.stem
    return stem.replace("_", " ")


def _page_order(path: Path) -> tuple[float, str]:
    # Streamlit orders pages by their numeric prefix, so "10_x" comes after "2_y".
    head = path.stem.split("_", 1)[0]
    return (int(head) if head.isdigit() else float("inf"), path.stem)


def available_pages(root: Path = APP_ROOT) -> list[PageInfo]:
    """Registered pages whose file exists, plus unregistered ``pages/*.py``, in file order."""
    registered = {p.path: p for p in PAGES}
    found = []
    for file in sorted((root / "pages").glob("*.py"), key=_page_order):
        rel = file.relative_to(root).as_posix()
        found.append(
            registered.get(rel)
            or PageInfo(path=rel, title=_title_from_filename(file), summary=_docstring_summary(file))
        )
    return found
