"""What a webhook needs on any platform (tornado): the secret checked, a health check.

    POST <path>     the platform's secret header checked in constant time (403 without it),
                    an empty probe answered 200, the update handed on at once (503 when
                    stopping, so that the platform delivers it again)
    GET  /healthz   200 while the database answers, 503 otherwise (a load balancer, systemd)
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

import tornado.web

UpdateSink = Callable[[Any], bool]  # False: not taken now (stopping), to be delivered again
HEALTH_PATH = "/healthz"


class WebhookHandler(tornado.web.RequestHandler):
    def initialize(self, secret: str, on_event: UpdateSink, header: str) -> None:
        self._secret = secret.encode()
        self._on_event = on_event
        self._header = header

    def post(self) -> None:
        if not self.request.body.strip():  # a platform's probe: nothing to check, nothing to do
            self.write({"ok": True})
            return
        given = self.request.headers.get(self._header, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.set_status(403)
            self.write({"ok": False, "description": "Forbidden"})
            return
        try:
            body = json.loads(self.request.body)
        except ValueError:
            self.set_status(400)
            self.write({"ok": False, "description": "the body is not JSON"})
            return
        if not self._on_event(body):  # handled in the background: a quick answer is wanted
            self.set_status(503)
            self.write({"ok": False, "description": "stopping; please deliver again"})
            return
        self.write({"ok": True})


class HealthHandler(tornado.web.RequestHandler):
    def initialize(self, healthy: Callable[[], Awaitable[bool]]) -> None:
        self._healthy = healthy

    async def get(self) -> None:
        alive = await self._healthy()
        self.set_status(200 if alive else 503)
        self.write({"ok": alive})
