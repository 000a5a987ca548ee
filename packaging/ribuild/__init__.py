"""Build helpers behind ``packaging/make.py``: one function per artifact (icons, bundle, .tar.gz,
.deb, wheel/sdist). Stdlib only, except the icon renderer, which uses PySide6's QSvgRenderer.

Not named ``packaging`` on purpose: that name belongs to the PyPI library pip and pytest import.
"""
