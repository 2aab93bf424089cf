"""Learned Hedging: train a neural hedge on simulated paths and fit Hull and White's delta on data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import streamlit as st

from hedgelib.conventions import HedgeLibError
from hedgelib.learned import MinimumVarianceDelta, register_deep_hedge
from ui import forms
from ui.charts import (
    loss_curve_figure,
    mv_correction_figure,
    no_trade_band_figure,
    pnl_overlay_figure,
    policy_heatmap_figure,
    policy_vs_delta_figure,
    risk_comparison_figure,
)
from ui.errors import stop_on_error
from ui.learned import (
    ARCHITECTURE_LABELS,
    HS_FIELDS,
    HW_FIELDS,
    LOSS_LABELS,
    MAX_TRAINING_PATH_STEPS,
    PRESETS,
    fit_heston_view,
    fit_history_view,
    learned_fields,
    learned_schema,
    measure_of_loss,
    policy_zip,
    run_learned,
    run_refusal,
    takeaway,
)
from ui.navigation import page_config
from ui.scenario import (
    apply_book_and_market,
    read_link_once,
    scenario_sidebar,
    show_scenario_messages,
    with_book_and_market,
    write_link,
)
from ui.state import get_book, get_market
from ui.widgets import book_in_use, link_to_option_book, market_caption, metric_grid, zoom_range

page_config("Learned Hedging")
ss = st.session_state
PREFIX = "lh_"
FIELDS = learned_fields()
SCHEMA = learned_schema()
DATA_START, DATA_END = dt.date(2014, 1, 1), dt.date(2018, 12, 31)


def _apply_scenario(scenario: dict, present: set[str]) -> list[str]:
    """Load a scenario's inputs into the form, and its book and market where it has them."""
    settings = {k: scenario[k] for k in FIELDS}
    for key, value in settings.items():
        ss[PREFIX + key] = value
    ss[PREFIX + "submitted"] = settings
    return apply_book_and_market(scenario, present)


def _apply_preset() -> None:
    for key, value in PRESETS[ss[PREFIX + "preset"]].items():
        if key in FIELDS:
            ss[PREFIX + key] = value


# ---- state: a shared link trains at once; otherwise nothing trains before the first click ------
if PREFIX + "link_read" not in ss:
    ss[PREFIX + "link_read"] = True
    found, problems = SCHEMA.from_query_params(st.query_params)
    if found and PREFIX + "submitted" not in ss:
        read_link_once(SCHEMA, PREFIX, _apply_scenario, st.query_params)
    else:  # nothing usable in the link: say what was ignored, train nothing
        ss[PREFIX + "link_problems"] = problems
forms.restore(PREFIX, FIELDS, ss.get(PREFIX + "submitted", {}))

st.title("Learned Hedging")
st.caption(
    "Hedges learned from data instead of read off a model: a small neural network trained on "
    "simulated paths to minimise a risk measure of the hedged P&L, costs included (Buehler et "
    "al. 2019), and Hull and White's (2017) minimum-variance delta fitted on the S&P 500 and "
    "the VIX. Both are strategies of the engine, offered on every page."
)
show_scenario_messages(PREFIX)
market = get_market()
book = book_in_use(get_book(), market, default_use="training a hedge for a default short at-the-money call")
market_caption(market)
market_in = {k: float(market[k]) for k in ("spot", "rate", "dividend_yield")}


def _teaching_notes() -> None:
    with st.expander("What the network sees, what it minimises, and why costs make a band"):
        st.markdown(
            "**What it sees.** At each hedging date the network reads a few numbers about the "
            "state of the world and of its own position: the log-moneyness of the spot against "
            "the book's strike, the time left to expiry, the hedge volatility, and the hedge it "
            "holds now (optionally the Black-Scholes delta too). It answers with the shares "
            "to hold, per option of the book:"
        )
        st.latex(r"x_{t_i} = \mathrm{unit}\times\mathrm{NN}_\theta\!\left(\ln\tfrac{S_{t_i}}{K},\;"
                 r"T - t_i,\;\sigma,\;\tfrac{x_{t_{i-1}}}{\mathrm{unit}}\right)")
        st.markdown("**What it minimises.** The hedged P&L of a path is the book's own P&L plus "
                    "the gains of the shares, minus what the trades cost,")
        st.latex(r"X = \mathrm{P\&L}_{\mathrm{book}} + \sum_i x_{t_i}\,(S_{t_{i+1}} - S_{t_i})"
                 r" - \sum_i k\,|x_{t_i} - x_{t_{i-1}}|\,S_{t_i},")
        st.markdown("and training lowers a risk measure of $X$ over the simulated paths by "
                    "gradient descent (Adam) on the weights $\\theta$: the entropic risk, the "
                    "expected shortfall, or the variance,")
        st.latex(r"\rho_a(X) = \frac1a \log E\left[e^{-aX}\right], \qquad "
                 r"\mathrm{CVaR}_\alpha(X) = -E\left[X \mid X \le q_{1-\alpha}(X)\right].")
        st.markdown(
            "With no costs and the variance, the best hedge is close to the Black-Scholes delta "
            "(it is the delta in continuous time), and the network finds it from the paths alone. "
            "Under Heston with negative correlation, falls in the spot come with rises in "
            "volatility, and the variance-minimising hedge holds fewer shares than the delta, "
            "which is Hull and White's minimum-variance delta.\n\n"
            "**Why costs make a band.** Each trade costs $k|\\Delta x|S$ while being slightly "
            "off the delta costs only a little risk (second order in the distance). So near the "
            "delta it pays to do nothing, and far from it to trade back to the edge of a "
            "*no-trade band*. Whalley and Wilmott's asymptotics give its half-width,"
        )
        st.latex(r"H = \left(\frac{3}{2}\,\frac{e^{-r(T-t)}\,k\,S\,\Gamma^2}{a}\right)^{1/3},")
        st.markdown("A network that reads its previous hedge can learn this shape from the paths, "
                    "without being told the formula. A plain perceptron tends to learn a soft version "
                    "(it trades part of the way back); the **no-transaction band network** of Imaki et "
                    "al. (2021) builds the shape in: it outputs how far below and above the delta the "
                    "band reaches and holds its previous hedge clipped to it,")
        st.latex(r"x_{t_i} = \min\!\Big(\max\big(x_{t_{i-1}},\ \delta_{t_i} - w^-_{t_i}\big),"
                 r"\ \delta_{t_i} + w^+_{t_i}\Big),")
        st.markdown("so what it learns is where the edges lie: compare them with Whalley and "
                    "Wilmott's on the chart.")


def _deep_tab() -> None:
    st.selectbox("Start from an experiment", list(PRESETS), key=PREFIX + "preset", on_change=_apply_preset,
                 help="Fills the form with the settings of one of the issue's experiments; press "
                      "Train and compare to run it.")
    with st.form(PREFIX + "form"):
        c_model, c_loss, c_net, c_run = st.columns(4)
        with c_model:
            st.markdown("**Market model**")
            forms.registry_inputs("model", FIELDS, PREFIX)
            forms.draw(FIELDS["hedge_vol_pct"], PREFIX + "hedge_vol_pct")
        with c_loss:
            st.markdown("**Costs and loss**")
            forms.draw(FIELDS["cost_bp"], PREFIX + "cost_bp")
            forms.draw(FIELDS["loss"], PREFIX + "loss", option_labels=LOSS_LABELS)
            forms.draw_all(FIELDS, ("risk_aversion", "cvar_level_pct"), PREFIX)
        with c_net:
            st.markdown("**Network and training**")
            forms.draw(FIELDS["architecture"], PREFIX + "architecture", option_labels=ARCHITECTURE_LABELS)
            forms.draw_all(FIELDS, ("layers", "units", "use_delta", "epochs", "batch_size", "learning_rate"),
                           PREFIX)
        with c_run:
            st.markdown("**Paths**")
            forms.draw_all(FIELDS, ("n_paths", "n_steps", "seed", "eval_paths"), PREFIX)
            st.caption(f"At most {MAX_TRAINING_PATH_STEPS:,} path-steps of training (paths x steps x "
                       "epochs). The default trains in well under 30 seconds.")
            submitted = st.form_submit_button("Train and compare", type="primary", width="stretch")
    if submitted:
        ss[PREFIX + "submitted"] = forms.values(PREFIX, FIELDS)
        ss[PREFIX + "write_link"] = True
    current = ss.get(PREFIX + "submitted") or {k: f.default for k, f in FIELDS.items()}
    scenario = with_book_and_market(current, book, market)
    scenario_sidebar(SCHEMA, scenario, prefix=PREFIX, file_name="learned_hedging_scenario.json",
                     caption="The address bar holds the inputs of the last training: copy it to share "
                             "it (book and market included).", apply=_apply_scenario)
    with stop_on_error(fields=FIELDS):
        write_link(SCHEMA, scenario, PREFIX)
    if PREFIX + "submitted" not in ss:
        st.info("Pick an experiment or set the inputs, then press **Train and compare**: the network "
                "trains with a progress bar and a live loss curve, then meets the delta hedge, "
                "Whalley-Wilmott's band and the minimum-variance delta on fresh paths.")
        _teaching_notes()
        return
    settings = dict(ss[PREFIX + "submitted"])
    # Problems end this tab only (return, not st.stop): the other tab still draws.
    if book.is_empty or not book.legs:
        st.error("The book holds no option: add a leg on the Option Book page (a learned hedge "
                 "needs an option to hedge).")
        link_to_option_book()
        return
    refusal = run_refusal(settings)
    if refusal:
        st.error(refusal)
        return
    try:
        run = run_learned(settings, book.to_dict(), market_in)
        name = register_deep_hedge(run.hedge)
    except HedgeLibError as exc:
        st.error(str(exc))
        return
    ss[PREFIX + "registered"] = sorted({*ss.get(PREFIX + "registered", []), name})
    _results(run, settings, name)


def _results(run, settings: dict, name: str) -> None:
    t = run.table
    rep = run.hedge.training
    col = measure_of_loss(settings["loss"])
    what = {"entropic": f"Entropic risk (a = {settings['risk_aversion']:g})",
            "es": f"ES {settings['cvar_level_pct']:g}%", "std": "Std of P&L"}[col]
    st.subheader("On fresh paths")
    st.caption(f"{int(settings['eval_paths']):,} paths the network never saw (seed {int(settings['seed']) + 1}), "
               f"{int(settings['n_steps'])} steps over {run.horizon * 252:.0f} trading days; P&L in currency, "
               "premium and costs included; risks are losses (positive), ± one bootstrap standard error.")
    # The measure heads the grid: in a quarter-width column a label of measure and set-up
    # together was cut to "Entropic risk (a = 1): Learned (de...".
    st.markdown(f"**{what}** on fresh paths, by hedge (hover for ± one standard error)")
    metric_grid([(row["set-up"], f"{row[col]:,.4f}", f"{what}: ± {row[col + '_se']:.4f}")
                 for _, row in t.iterrows()]
                + [("Training time", f"{rep.seconds:.1f} s",
                    f"{rep.compile_seconds:.1f} s compiling; {rep.path_steps_per_second:,.0f} path-steps per "
                    "second through the forward and backward pass."),
                   ("Final training loss", f"{rep.final_loss:,.4f}", "On all training paths.")])
    st.info(takeaway(run, settings["loss"]))
    c_pnl, c_risk = st.columns(2)
    with c_pnl:
        show_none = st.toggle("Include the unhedged P&L", key=PREFIX + "show_none",
                              help="Its spread dwarfs the hedged ones; off, the chart zooms on the hedges.")
        samples = {run.labels[k]: v for k, v in run.pnl.items() if show_none or k != "none"}
        rng = None if show_none else zoom_range(np.concatenate(list(samples.values())))
        st.plotly_chart(pnl_overlay_figure(samples, x_range=rng,
                                           title="P&L per path on the same fresh paths"),
                        width="stretch")
    with c_risk:
        names = list(t["set-up"])
        st.plotly_chart(risk_comparison_figure(
            names, {what: t[col].to_numpy(), f"ES {settings['cvar_level_pct']:g}%": t["es"].to_numpy(),
                    "Turnover": t["turnover"].to_numpy()},
            {what: t[col + "_se"].to_numpy(), f"ES {settings['cvar_level_pct']:g}%": t["es_se"].to_numpy()},
            y_titles={"Turnover": "shares per path"}), width="stretch")
    level = f"{settings['cvar_level_pct']:g}%"
    heads = {  # column: (header, help); short headers so that every column stays in view
        "mean": ("Mean P&L", "Mean P&L per path (currency)."), "mean_se": ("± SE", "Standard error of the mean."),
        "std": ("Std", "Standard deviation of the P&L (currency)."), "std_se": ("± SE", "Its standard error."),
        "entropic": ("Entropic", f"Entropic risk, a = {settings['risk_aversion']:g} (currency)."),
        "entropic_se": ("± SE", "Its standard error."),
        "es": (f"ES {level}", f"Expected shortfall at {level} (currency)."), "es_se": ("± SE", "Its standard error."),
        "var": (f"VaR {level}", f"Value at risk at {level} (currency)."), "var_se": ("± SE", "Its standard error."),
        "turnover": ("Turnover", "Mean shares traded per path."), "costs": ("Costs", "Mean costs per path (currency)."),
        "trades": ("Trades", "Mean rebalances per path."),
    }
    st.dataframe(t, hide_index=True, width="stretch", column_order=["set-up", *heads],
                 column_config={"set-up": st.column_config.TextColumn("Hedge"),
                                **{c: st.column_config.NumberColumn(h, help=text, format="%.4f")
                                   for c, (h, text) in heads.items()}})
    st.caption(f"Minimum-variance delta: {run.mv_note}.")

    st.subheader("What the network learned")
    c_loss, c_curve = st.columns(2)
    with c_loss:
        ref = {f"delta hedge on fresh paths ({what})": float(t.loc["delta", col] ** (2 if col == "std" else 1))}
        st.plotly_chart(loss_curve_figure(rep.history, references=ref,
                                          title=f"Training loss per epoch ({LOSS_LABELS[settings['loss']]})"),
                        width="stretch")
    with c_curve:
        st.plotly_chart(policy_vs_delta_figure(run.moneyness, run.learned_curves, run.delta_curves),
                        width="stretch")
    c_heat, c_band = st.columns(2)
    with c_heat:
        view = st.radio("Heatmap", ["Learned hedge", "Learned minus delta"], horizontal=True, key=PREFIX + "view")
        diff = view != "Learned hedge"
        z = run.heat_policy - run.heat_delta if diff else run.heat_policy
        st.plotly_chart(policy_heatmap_figure(run.heat_moneyness, run.heat_days, z,
                                              diverging=diff, title=f"{view} (starting from the delta)"),
                        width="stretch")
    with c_band:
        delta, ww_lo, ww_hi = run.ww_band
        st.plotly_chart(no_trade_band_figure(
            run.moneyness, learned_lower=run.band[0], learned_upper=run.band[1], delta=delta,
            ww_lower=ww_lo, ww_upper=ww_hi,
            title=f"No-trade band at {run.band_days:.0f} days vs Whalley-Wilmott"),
            width="stretch")
        if float(settings["cost_bp"]) == 0:
            st.caption("No costs: Whalley-Wilmott's band is empty, and the learned one is only as wide "
                       "as the tolerance (0.01 share) used to read it.")
        elif settings["architecture"] == "mlp":
            st.caption("A perceptron learns a soft band: it trades part of the way back, less near its "
                       "target. Read here as the hedges it moves by at most 0.01 share, so it looks "
                       "narrow; the band network learns the band's edges themselves.")
    st.success(f"This network is offered as the strategy **{run.hedge.label}** ({name}) in every page's "
               "strategy list while the server runs; download it to keep it.")
    st.download_button("Download the trained policy (zip: .npz + .json)", policy_zip(run.hedge),
                       file_name=f"{name}.zip", mime="application/zip", on_click="ignore",
                       key=PREFIX + "download_policy")
    _teaching_notes()


def _dates_form(prefix: str) -> None:
    for name in ("fit_start", "fit_end", "test_start", "test_end"):
        key = prefix + name
        if key not in ss:
            ss[key] = dt.date.fromisoformat(ss.get(prefix + "submitted", {}).get(name, HW_FIELDS[name].default))
    with st.form(prefix + "form"):
        cols = st.columns(5)
        for col, name in zip(cols, ("fit_start", "fit_end", "test_start", "test_end"), strict=False):
            col.date_input(HW_FIELDS[name].label, key=prefix + name, min_value=DATA_START, max_value=DATA_END,
                           format="YYYY-MM-DD")
        with cols[4]:
            forms.restore(prefix, {"kind": HW_FIELDS["kind"]}, ss.get(prefix + "submitted", {}))
            forms.draw(HW_FIELDS["kind"], prefix + "kind")
        if st.form_submit_button("Fit and test"):
            ss[prefix + "submitted"] = {n: (v.isoformat() if isinstance(v, dt.date) else v)
                                        for n, v in forms.values(prefix, HW_FIELDS).items()}


def _hw_tab() -> None:
    hw, hs = PREFIX + "hw_", PREFIX + "hs_"
    st.markdown("Fit Hull and White's minimum-variance delta on the bundled S&P 500, each day's options "
                "priced at the VIX, and test it on later years.")
    _dates_form(hw)
    s = {**{k: f.default for k, f in HW_FIELDS.items()}, **ss.get(hw + "submitted", {})}
    with stop_on_error():
        view = fit_history_view(s["fit_start"], s["fit_end"], s["test_start"], s["test_end"], s["kind"])
    tab = view.table
    metric_grid([
        ("a", f"{view.a:.4f}", f"± {tab.loc['a', 'standard error']:.4f} (clustered by day)"),
        ("b", f"{view.b:.4f}", f"± {tab.loc['b', 'standard error']:.4f}"),
        ("c", f"{view.c:.4f}", f"± {tab.loc['c', 'standard error']:.4f}"),
        ("Gain in sample", f"{view.gain_in:.1%}", f"{s['fit_start']} to {s['fit_end']}: share of the variance "
         "of the delta-hedged change removed."),
        ("Gain out of sample", f"{view.gain_out:.1%}", f"{s['test_start']} to {s['test_end']}, with the "
         "coefficients fitted before."),
        ("Observations", f"{view.n_obs:,}", f"{view.n_clusters:,} days x 15 options (3 maturities x 5 strikes)."),
    ], per_row=6)
    curves = {f"S&P 500 + VIX ({s['fit_start'][:4]}-{s['fit_end'][:4]})":
              MinimumVarianceDelta(view.a, view.b, view.c, kind=view.kind)}
    with st.expander("Why does leverage lower the delta? Fit on Heston paths"):
        with st.form(hs + "form"):
            forms.restore(hs, HS_FIELDS, ss.get(hs + "submitted", {}))
            cols = st.columns(len(HS_FIELDS))
            for col, (name, f) in zip(cols, HS_FIELDS.items(), strict=True):
                forms.draw(f, hs + name, col)
            if st.form_submit_button("Fit on Heston paths"):
                ss[hs + "submitted"] = forms.values(hs, HS_FIELDS)
        if hs + "submitted" in ss:
            h = ss[hs + "submitted"]
            with stop_on_error("Heston: "):
                hv = fit_heston_view(float(h["rho"]), float(h["xi"]), float(h["kappa"]), float(h["vol_pct"]),
                                     int(h["n_paths"]), s["kind"])
            st.markdown(f"On Heston paths (rho = {h['rho']:g}): a = {hv.a:.3f}, b = {hv.b:.3f}, c = {hv.c:.3f}, "
                        f"in-sample gain {hv.gain_in:.1%} over {hv.n_obs:,} observations.")
            curves[f"Heston, rho = {h['rho']:g}"] = MinimumVarianceDelta(hv.a, hv.b, hv.c, kind=hv.kind)
        else:
            st.caption("Heston's negative spot-volatility correlation is the leverage effect in a model: "
                       "fit the same regression on its paths to see the same lower delta.")
    grid = np.linspace(0.02, 0.98, 97) - (1.0 if view.kind == "put" else 0.0)
    st.plotly_chart(mv_correction_figure(grid, {k: v.curve(grid) for k, v in curves.items()},
                                         title=f"Fitted delta_MV - delta_BS of a {view.kind} against its "
                                               "Black-Scholes delta"), width="stretch")
    st.dataframe(tab, width="stretch")
    with st.expander("What am I looking at"):
        st.markdown("Hull and White (2017) correct the Black-Scholes delta by the vega times the "
                    "expected move of implied volatility with the spot, a quadratic in the delta:")
        st.latex(r"\delta_{MV} = \delta_{BS} + \frac{\mathcal V_{BS}}{S\sqrt T}\left(a + b\,\delta_{BS}"
                 r" + c\,\delta_{BS}^2\right)")
        st.markdown("fitted by least squares on daily changes of option prices:")
        st.latex(r"\Delta V - \delta_{BS}\,\Delta S = \frac{\mathcal V_{BS}}{\sqrt T}\,\frac{\Delta S}{S}"
                 r"\left(a + b\,\delta_{BS} + c\,\delta_{BS}^2\right) + \varepsilon")
        st.markdown(
            "The **gain** is the share of the variance of $\\Delta V - \\delta_{BS}\\Delta S$ the "
            "correction removes. A negative $a$ is the leverage effect: when the index falls its "
            "implied volatility rises, so a call loses less than its delta says on a fall and gains "
            "less on a rise, and the hedge that minimises the variance holds fewer shares. Here each "
            "day's options are priced at the VIX (one volatility for every strike and maturity), so "
            "the correction is mostly $a$: the VIX's response to the index. The strategy "
            "**Minimum-variance delta (Hull-White)** on every page uses the 2014-2016 fit, so a "
            "backtest on 2017-2018 is out of sample.")


tab_deep, tab_hw = st.tabs(["Deep hedging", "Hull-White minimum-variance delta"], key=PREFIX + "tab")
with tab_deep:
    if tab_deep.open is not False:
        _deep_tab()
with tab_hw:
    if tab_hw.open is not False:
        _hw_tab()
