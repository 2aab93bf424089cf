"""Home page: runs cleanly, lists every page, names every data source and the units."""

from __future__ import annotations

from ui.pages import PAGES, available_pages


def _page_text(at) -> str:
    parts = [t.value for t in at.title] + [h.value for h in at.header]
    parts += [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [link.proto.label for link in at.get("page_link")]
    return "\n".join(parts)


def test_home_runs_and_describes_pages_and_data(app_test):
    at = app_test("app.py")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Hedge Lab"
    text = _page_text(at)

    pages = available_pages()
    assert "pages/1_Option_Book.py" in [p.path for p in pages]
    links = {link.proto.label for link in at.get("page_link")}
    assert links == {p.title for p in pages}
    for page in pages:
        assert page.summary and page.summary in text

    for source in ("arch", "S&P 500", "NASDAQ", "1999-2018", "VIX", "2014-2018", "WTI",
                   "Yahoo Finance", "CSV", "Simulated"):
        assert source in text, source
    for unit in ("252 trading days", "vega per vol point", "theta per trading day", "rho per 1%"):
        assert unit in text, unit
    for verb in ("price", "hedge", "measure"):
        assert f"**{verb}**" in text


def test_page_registry_lists_only_existing_files(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "10_Later.py").write_text('"""Later page: does later things."""\n')
    (tmp_path / "pages" / "1_Option_Book.py").write_text("")
    (tmp_path / "pages" / "2_Other.py").write_text("x = 1\n")
    found = available_pages(tmp_path)
    # Numeric order, registered entries keep their text, unregistered ones use the docstring.
    assert [p.path for p in found] == ["pages/1_Option_Book.py", "pages/2_Other.py", "pages/10_Later.py"]
    assert found[0] == PAGES[0]
    assert (found[1].title, found[1].summary) == ("Other", "")
    assert (found[2].title, found[2].summary) == ("Later", "Later page: does later things.")
    assert available_pages(tmp_path / "nowhere") == []
