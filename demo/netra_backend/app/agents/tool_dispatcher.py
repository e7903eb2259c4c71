"""Tool dispatcher: runs tools and emits tool events."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

try:
    from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager
except ImportError:  # running without the websocket layer (CLI tools)
    create_websocket_manager = None

if TYPE_CHECKING:
    from netra_backend.app.websocket_core.websocket_manager_factory import WebSocketManagerFactory
    from netra_backend.app.services.user_execution_context import UserExecutionContext


class ToolDispatcher:
    def __init__(self, factory: Optional["WebSocketManagerFactory"] = None) -> None:
        self.factory = factory

    async def dispatch(self, ctx: "UserExecutionContext", tool: Any, args: Dict[str, Any]) -> Any:
        if create_websocket_manager is not None:
            manager = await create_websocket_manager(ctx)
            await manager.send_to_user(ctx.user_id, {"type": "tool_executing", "tool": tool.name})
        return await tool.run(**args)

    async def notify_done(self, ctx: "UserExecutionContext", tool_name: str) -> None:
        from netra_backend.app.websocket_core.websocket_manager_factory import get_websocket_manager_factory

        factory = self.factory or get_websocket_manager_factory()
        manager = await factory.create_manager(ctx)
        await manager.send_to_user(ctx.user_id, {"type": "tool_completed", "tool": tool_name})
