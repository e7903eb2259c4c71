"""User notification service built on the per-user WebSocket manager."""
import logging
from typing import Any, Dict

from netra_backend.app.services.user_execution_context import UserExecutionContext
from netra_backend.app.websocket_core.websocket_manager_factory import (
    create_websocket_manager as factory_create,
    get_websocket_manager_factory,
)
from netra_backend.app.websocket_core.websocket_manager_factory import IsolatedWebSocketManager

logger = logging.getLogger(__name__)


class Notifier:
    async def notify(self, ctx: UserExecutionContext, event: str, payload: Dict[str, Any]) -> int:
        manager = await factory_create(ctx)
        return await manager.send_to_user(ctx.user_id, {"type": event, **payload})

    def active_users(self) -> int:
        factory = get_websocket_manager_factory()
        return len(factory._managers)

    async def warm_up(self, ctx: UserExecutionContext) -> IsolatedWebSocketManager:
        return await get_websocket_manager_factory().create_manager(ctx)


__all__ = ["Notifier", "factory_create", "IsolatedWebSocketManager"]
