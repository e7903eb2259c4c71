"""Keeps user WebSocket connections alive."""
import asyncio

from netra_backend.app.services.user_execution_context import UserExecutionContext
from netra_backend.app.websocket_core.manager import WebSocketManager, WebSocketHeartbeatManager
from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager


async def heartbeat_loop(ctx: UserExecutionContext, stop: asyncio.Event) -> None:
    manager: WebSocketManager = await get_websocket_manager(ctx)
    heartbeat = WebSocketHeartbeatManager(manager)
    while not stop.is_set():
        await heartbeat.ping_all()
        try:
            await asyncio.wait_for(stop.wait(), timeout=heartbeat.config.interval_seconds)
        except asyncio.TimeoutError:
            pass
