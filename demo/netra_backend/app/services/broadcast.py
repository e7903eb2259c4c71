"""System-wide broadcasts (maintenance notices)."""
from typing import Iterable

from netra_backend.app.websocket_core.websocket_manager import UnifiedWebSocketManager
from netra_backend.app.websocket_core.websocket_manager_factory import create_test_user_context

_system_manager = UnifiedWebSocketManager()


async def broadcast_maintenance(user_ids: Iterable[str], minutes: int) -> int:
    sent = 0
    for user_id in user_ids:
        manager = UnifiedWebSocketManager(user_context=create_test_user_context(user_id))
        sent += await manager.send_to_user(user_id, {"type": "maintenance", "in_minutes": minutes})
    return sent
