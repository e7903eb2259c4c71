"""Message handlers inside the websocket_core package."""
from typing import Any, Awaitable, Callable, Dict

from . import websocket_manager_factory
from .websocket_manager_factory import create_websocket_manager
from ..services.user_execution_context import UserExecutionContext

Handler = Callable[[UserExecutionContext, Dict[str, Any]], Awaitable[None]]
HANDLERS: Dict[str, Handler] = {}


def handles(message_type: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[message_type] = fn
        return fn
    return register


@handles("ping")
async def handle_ping(ctx: UserExecutionContext, message: Dict[str, Any]) -> None:
    manager = await create_websocket_manager(ctx)
    await manager.send_to_user(ctx.user_id, {"type": "pong"})


@handles("user_message")
async def handle_user_message(ctx: UserExecutionContext, message: Dict[str, Any]) -> None:
    manager = await websocket_manager_factory.create_websocket_manager(ctx)
    await manager.send_to_user(ctx.user_id, {"type": "ack", "id": message.get("id")})
