"""The bot's own HTTP side for Zalo (tornado): the webhook Zalo posts to, the files it fetches.

    POST <path of ZALO_WEBHOOK_URL>   X-Bot-Api-Secret-Token checked in constant time (403),
                                      an empty probe answered 200, the event handed on at once
    GET  <path of ZALO_FILES_URL>/<name>/<file name>   a file sendPhoto names by URL (Zalo
                                      takes no upload): kept in memory for a day

A reverse proxy in front gives both the public HTTPS addresses the settings name.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web

from bot.channels.webhook import UpdateSink, WebhookHandler
from bot.core.messages import Attachment

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
FILE_LIFETIME_SECONDS = 24 * 3600
FILE_SHELF_BYTES = 64_000_000  # the oldest files go first beyond this
MAX_BODY_BYTES = 1_000_000  # an event is a few hundred bytes


@dataclass(frozen=True)
class _Shelved:
    attachment: Attachment
    until: float


class FileShelf:
    """Files offered to Zalo by URL, under names nobody can guess, for a day (in memory)."""

    def __init__(self, public_url: str, lifetime: float = FILE_LIFETIME_SECONDS,
                 capacity: int = FILE_SHELF_BYTES,
                 clock: Callable[[], float] = time.monotonic):
        self.public_url = public_url.rstrip("/")
        self.lifetime = lifetime
        self.capacity = capacity
        self._clock = clock
        self._files: OrderedDict[str, _Shelved] = OrderedDict()

    @property
    def path(self) -> str:
        """The URL path the files are served under ("" for the root)."""
        return urlsplit(self.public_url).path.rstrip("/")

    def put(self, attachment: Attachment) -> str:
        """Keep `attachment` and return the public URL to fetch it from."""
        self._prune()
        name = secrets.token_urlsafe(24)
        self._files[name] = _Shelved(attachment, self._clock() + self.lifetime)
        while sum(len(f.attachment.data) for f in self._files.values()) > self.capacity \
                and len(self._files) > 1:
            self._files.popitem(last=False)
        return f"{self.public_url}/{name}/{quote(attachment.filename)}"

    def get(self, name: str) -> Attachment | None:
        self._prune()
        shelved = self._files.get(name)
        return None if shelved is None else shelved.attachment

    def _prune(self) -> None:
        now = self._clock()
        for name in [n for n, f in self._files.items() if f.until <= now]:
            del self._files[name]


EventSink = UpdateSink


class ZaloWeb:
    """Serve the webhook (when a secret is given) and the shelf's files (when there is one)."""

    def __init__(self, listen: tuple[str, int], on_event: EventSink,
                 webhook_url: str | None = None, secret: str | None = None,
                 shelf: FileShelf | None = None):
        routes: list[Any] = []
        if webhook_url is not None and secret is not None:
            path = urlsplit(webhook_url).path or "/"
            routes.append((re.escape(path), WebhookHandler,
                           {"secret": secret, "on_event": on_event, "header": SECRET_HEADER}))
        if shelf is not None:
            routes.append((re.escape(shelf.path) + r"/([A-Za-z0-9_-]{20,})/[^/]*", FileHandler,
                           {"shelf": shelf}))
        self.listen = listen
        self._application = tornado.web.Application(routes, log_function=_log_request)
        self._server: tornado.httpserver.HTTPServer | None = None
        self.port = listen[1]

    async def start(self) -> None:
        """Listen on the configured address (port 0: any free port, then in `port`)."""
        host, port = self.listen
        sockets = tornado.netutil.bind_sockets(port, host)
        self.port = int(sockets[0].getsockname()[1])
        server = tornado.httpserver.HTTPServer(self._application,
                                               max_body_size=MAX_BODY_BYTES)
        server.add_sockets(sockets)
        self._server = server
        log.info("zalo: listening on %s:%d", host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None


class FileHandler(tornado.web.RequestHandler):
    def initialize(self, shelf: FileShelf) -> None:
        self._shelf = shelf

    def get(self, name: str) -> None:
        attachment = self._shelf.get(name)
        if attachment is None:
            self.set_status(404)
            return
        self.set_header("Content-Type", attachment.mime_type)
        self.set_header("Cache-Control", "private, max-age=3600")
        self.write(attachment.data)


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Log failures only, without the path: a file's URL is what keeps it private."""
    status = handler.get_status()
    if status >= 500:
        log.warning("zalo: %s answered %d", handler.request.method, status)
