"""ASGIApp: an ASGI app whose lifespan starts and stops a scheduler (what asyncz's scheduler.asgi() returns).

With handle_lifespan=True the wrapper answers the lifespan protocol itself (the app never sees it); else it
starts the scheduler when the server sends lifespan.startup, passes the messages on to the app, and shuts
the scheduler down on lifespan.shutdown."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ASGIApp:
    def __init__(self, app: Any, scheduler: Any, handle_lifespan: bool = False, wait: bool = False) -> None:
        self.app = app
        self.scheduler = scheduler
        self.handle_lifespan = handle_lifespan
        self.wait = wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        if self.handle_lifespan:
            await self._lifespan(receive, send)
            return

        async def receive_and_follow() -> Message:
            message = await receive()
            self._follow(message)
            return message

        await self.app(scope, receive_and_follow, send)

    def _follow(self, message: Message) -> None:
        if message["type"] == "lifespan.startup" and not self.scheduler.running:
            self.scheduler.start()
        elif message["type"] == "lifespan.shutdown" and self.scheduler.running:
            self.scheduler.shutdown(self.wait)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            kind = message["type"]
            try:
                self._follow(message)
            except Exception as exc:  # noqa: BLE001  (reported to the server, which stops)
                await send({"type": f"{kind}.failed", "message": str(exc)})
                return
            await send({"type": f"{kind}.complete"})
            if kind == "lifespan.shutdown":
                return
