"""The library stays usable outside the app: importing it must not pull in streamlit."""

import subprocess
import sys


def test_hedgelib_never_imports_streamlit():
    code = (
        "import sys, hedgelib, pkgutil, importlib\n"
        "for m in pkgutil.walk_packages(hedgelib.__path__, 'hedgelib.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'streamlit' or n.startswith('streamlit.'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_public_names_resolve():
    import hedgelib

    missing = [name for name in hedgelib.__all__ if not hasattr(hedgelib, name)]
    assert not missing
