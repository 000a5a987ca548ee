"""``python -m inspector.loadtest``: print the path of the Locust module, for ``locust -f``."""

from pathlib import Path

print(Path(__file__).with_name("locustfile.py"))  # noqa: T201 - the path is the output
