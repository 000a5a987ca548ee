"""Locust integration of the load workloads (issue #14 §4): ``locust -f`` the module
:mod:`inspector.loadtest.locustfile` (``python -m inspector.loadtest`` prints its path).

Nothing outside this package imports it: Locust monkey-patches the process with gevent, so the
window, the CLI and the bundle never load it (an import-linter contract checks that).
"""
