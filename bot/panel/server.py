"""Serving the panel from the bot's own process and event loop.

As python-telegram-bot's `customwebhookbot.py` runs a web server beside the bot: uvicorn's
`Server.serve()` runs as a task on PTB's loop, started after the bot's start-up work
(post_init) and stopped before the bot's HTTP client closes (post_stop). Signals stay with
PTB (uvicorn's own handlers are left out), so Ctrl+C stops both.

As it starts serving, the panel is warmed in the background (`Panel.warm`: templates, the
overview's figures, the whole-table counts; a request that comes meanwhile waits for the
figures it needs), then what the process has loaded is frozen out of the garbage collector's
sight (`gc.freeze`): a full collection then walks the objects made since, not the hundred
thousand of the libraries, and no request waits a few hundred ms for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn

from bot.context import BotApplication

if TYPE_CHECKING:
    from bot.panel.app import Panel

log = logging.getLogger(__name__)
TASK = "panel_server_task"
WARM = "panel_warm_task"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # PTB handles SIGINT/SIGTERM
        yield


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound now so that a busy port fails at once, clearly."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_server(app: Any, sock: socket.socket) -> tuple[_Server, socket.socket]:
    config = uvicorn.Config(
        app,
        lifespan="off",
        access_log=False,
        log_level="warning",
        proxy_headers=True,  # behind the reverse proxy that terminates HTTPS
        server_header=False,
    )
    return _Server(config), sock


async def warm(panel: Panel) -> None:
    """Beside the bot's first updates: warm the panel, then freeze what is loaded."""
    try:
        await panel.warm()
    except Exception:  # it only saves the first visitors a wait
        log.warning("could not warm the panel", exc_info=True)
    gc.collect()
    gc.freeze()


def serve_panel(
    application: BotApplication, *, port: int, host: str = "0.0.0.0"
) -> tuple[str, int]:
    """Make `application` serve the panel on host:port while it runs (polling or webhook).
    The port is bound at once (an OSError if taken); returns the address bound."""
    from bot.panel.app import create_app, panel_of

    sock = bind(host, port)
    panel_app = create_app(application)
    server, _sock = make_server(panel_app, sock)
    started, stopped = application.post_init, application.post_stop

    async def post_init(app: BotApplication) -> None:
        if started is not None:
            await started(app)
        app.bot_data[TASK] = asyncio.create_task(server.serve(sockets=[sock]))
        app.bot_data[WARM] = asyncio.create_task(warm(panel_of(panel_app)))
        log.info("panel served on %s:%s", host, port)

    async def post_stop(app: BotApplication) -> None:
        server.should_exit = True
        warming = app.bot_data.pop(WARM, None)
        if warming is not None:
            warming.cancel()
        task = app.bot_data.pop(TASK, None)
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=5)
        sock.close()
        if stopped is not None:
            await stopped(app)

    application.post_init = post_init
    application.post_stop = post_stop
    bound_host, bound_port = sock.getsockname()[:2]
    return str(bound_host), int(bound_port)
