"""HTTP side of the fake Telegram: an aiohttp server on 127.0.0.1 in a background thread.

Routes, as api.telegram.org has them:
  POST/GET {url}/bot<token>/<method>      Bot API (JSON, form-urlencoded or multipart bodies)
  GET      {url}/file/bot<token>/<path>   file downloads (paths come from getFile)
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from .api import KNOWN_UNIMPLEMENTED, BotApi
from .models import ApiError, RequestRecord, Upload, bad_request
from .validation import Params, normalize_params

__all__ = ["FakeTelegram"]

log = logging.getLogger("fake_telegram")

CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class FakeTelegram(BotApi):
    """A strict, in-process fake of the Telegram Bot API for end-to-end tests.

    server = FakeTelegram(token="123456:TEST-token"); server.start(); ...; server.stop()
    or `with FakeTelegram() as server: ...`. Point the bot at `server.url`.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **options: Any,
    ) -> None:
        """options: bot_username, bot_first_name, privacy_mode (default True),
        strict_html_ampersand (default True), global_messages_per_second,
        group_messages_per_minute, chat_messages_per_second (rate ceilings, off by default)."""
        super().__init__(**options)
        self.token = token
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._startup_error: BaseException | None = None
        self._stopping = False
        self._poll_generation = 0
        self._poll_waiters: set[asyncio.Future[None]] = set()
        self._methods = self._handlers()
        self._methods_lower = {name.lower(): name for name in self._methods}
        self._unimplemented_lower = {name.lower(): name for name in KNOWN_UNIMPLEMENTED}
        self._update_listener = self._wake_pollers_threadsafe

    # ----------------------------------------------------------------------------------------
    # lifecycle

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:40123 (the bot adds /bot<token>/<method>)."""
        if self._thread is None:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        """What PTB wants as base_url: it appends the token itself."""
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        """What PTB wants as base_file_url."""
        return f"{self.url}/file/bot"

    def start(self) -> FakeTelegram:
        if self._thread is not None:
            raise RuntimeError("FakeTelegram already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        sock.listen(128)
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sock, ready), name="FakeTelegram", daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("FakeTelegram did not start within 10 s")
        if self._startup_error is not None:
            raise RuntimeError("FakeTelegram failed to start") from self._startup_error
        log.info("FakeTelegram listening on %s", self.url)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with self._cond:
            self._stopping = True
        loop.call_soon_threadsafe(self._wake_pollers)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.SockSite(self._runner, sock).start())
        except BaseException as exc:
            self._startup_error = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

    # ----------------------------------------------------------------------------------------
    # long polling

    def _wake_pollers(self) -> None:
        for waiter in self._poll_waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _wake_pollers_threadsafe(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake_pollers)
            except RuntimeError:  # the loop closed meanwhile
                pass

    async def _get_updates(self, p: Params) -> list[dict[str, Any]]:
        offset = p.get_int("offset")
        limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
        timeout = max(p.get_int("timeout", 0) or 0, 0)
        allowed = p.get_json("allowed_updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with self._cond:
            if self.webhook_url:
                raise ApiError(409, CONFLICT_WEBHOOK)
            # A newer getUpdates terminates an older one, like Telegram does.
            self._poll_generation += 1
            generation = self._poll_generation
            self._poll_times.append(time.time())
            self._changed()
        self._wake_pollers()
        first = True
        while True:
            with self._cond:
                if generation != self._poll_generation:
                    raise ApiError(409, CONFLICT_OTHER_POLL)
                # Offset and allowed_updates apply once; later rounds only look for news.
                updates = (
                    self._take_updates(offset, limit, allowed)
                    if first
                    else self._take_updates(None, limit, None)
                )
                first = False
                remaining = deadline - loop.time()
                if updates or remaining <= 0 or self._stopping:
                    return updates
            waiter: asyncio.Future[None] = loop.create_future()
            self._poll_waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                self._poll_waiters.discard(waiter)

    # ----------------------------------------------------------------------------------------
    # HTTP

    @staticmethod
    def _json_response(status: int, body: dict[str, Any]) -> web.Response:
        return web.Response(
            status=status,
            body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            content_type="application/json",
        )

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, Upload] = {}
        if request.method == "GET" or not request.body_exists:
            return normalize_params(values, from_form=True), files
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request parameters") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected as request body")
            return {**normalize_params(values, from_form=True), **body}, files
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = Upload(value.filename, value.file.read(), value.content_type)
            else:
                values[name] = value
        return normalize_params(values, from_form=True), files

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._download(path.removeprefix("/file/bot"))
        if not path.startswith("/bot"):
            return self._json_response(404, ApiError(404, "Not Found").to_response())
        token, _, method_name = path.removeprefix("/bot").partition("/")
        if token != self.token:
            return self._json_response(401, ApiError(401, "Unauthorized").to_response())
        method = self._methods_lower.get(method_name.lower())
        if method is None and method_name.lower() != "getupdates":
            unimplemented = self._unimplemented_lower.get(method_name.lower())
            if unimplemented is None:
                return self._json_response(404, ApiError(404, "Not Found").to_response())
            method = unimplemented
        method = method or "getUpdates"

        started = time.time()
        params: dict[str, Any] = {}
        files: dict[str, Upload] = {}
        try:
            params, files = await self._read_params(request)
            with self._cond:
                failure = self._take_failure(method)
            if failure is not None:
                raise failure
            if method in KNOWN_UNIMPLEMENTED:
                raise bad_request(f"method {method} is not implemented by FakeTelegram")
            if method == "getUpdates":
                result = await self._get_updates(Params(params))
            else:
                with self._cond:
                    result = self._methods[method](Params(params), files)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.code, error.to_response()
        except Exception as exc:  # a bug in the fake: answer 500 and say what happened
            log.exception("FakeTelegram failed on %s", method)
            status, body = (
                500,
                {
                    "ok": False,
                    "error_code": 500,
                    "description": f"Internal Server Error: FakeTelegram bug: {exc!r}",
                },
            )
        with self._cond:
            record = RequestRecord(
                index=len(self._requests),
                time=started,
                method=method,
                params=params,
                files=files,
                status=status,
                response=body,
                duration=time.time() - started,
            )
            self._requests.append(record)
            self._changed()
        if status != 200:
            log.info("%s -> %s %s", method, status, body.get("description"))
        return self._json_response(status, body)

    def _download(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        file = self.file_by_path(file_path) if token == self.token else None
        if file is None:
            return self._json_response(404, ApiError(404, "Not Found").to_response())
        return web.Response(
            body=file.content, content_type=file.mime_type or "application/octet-stream"
        )
