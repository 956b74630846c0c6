"""``/readyz``: the readiness checks for an orchestrator, without their details.

``/healthz`` stays cheap (the process answers); ``/readyz`` runs every check of
``outreach check`` and answers 200 when all pass, 503 when one fails. The answer names each
check and its state only: the details (addresses, server replies) stay in the logs and in
``outreach check``. Results are kept for :data:`CACHE_SECONDS`, so a probe every few seconds
from several orchestrators costs one round of checks (and one SMTP login) per process.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app, jsonify
from werkzeug.wrappers import Response

from outreach.ops import checks

log = logging.getLogger(__name__)

CACHE_SECONDS = 10.0


class Readiness:
    def __init__(self, cache_seconds: float = CACHE_SECONDS) -> None:
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._results: list[checks.Result] = []
        self._at = 0.0

    def register(self, app: Flask) -> None:
        app.add_url_rule("/readyz", "readyz", self.view)

    def results(self, app: Flask) -> list[checks.Result]:
        with self._lock:
            if not self._results or time.monotonic() - self._at >= self.cache_seconds:
                self._results = checks.run(app)
                self._at = time.monotonic()
                for result in self._results:
                    if not result.ok:
                        log.warning("not ready: %s: %s", result.name, result.message)
            return self._results

    def view(self) -> tuple[Response, int]:
        results = self.results(current_app._get_current_object())  # type: ignore[attr-defined]
        ready = all(result.ok for result in results)
        body = {
            "status": "ready" if ready else "not ready",
            "checks": {result.name: result.status.value for result in results},
        }
        return jsonify(body), 200 if ready else 503
