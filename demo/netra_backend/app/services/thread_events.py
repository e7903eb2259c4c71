"""Thread events: already migrated to the SSOT creation path."""
from typing import Any, Dict

from netra_backend.app.services.user_execution_context import UserExecutionContext
from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager


async def thread_updated(ctx: UserExecutionContext, thread: Dict[str, Any]) -> None:
    manager = await get_websocket_manager(ctx)
    await manager.send_to_user(ctx.user_id, {"type": "thread_updated", "thread_id": thread["id"]})


async def thread_deleted(ctx: UserExecutionContext, thread_id: str) -> None:
    manager = await get_websocket_manager(ctx)
    await manager.send_to_user(ctx.user_id, {"type": "thread_deleted", "thread_id": thread_id})
