"""Canonical (SSOT) WebSocket manager module."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from netra_backend.app.services.user_execution_context import UserExecutionContext


@dataclass
class WebSocketConnection:
    connection_id: str
    user_id: str
    websocket: Any = None
    metadata: Dict[str, Any] = field(default_factory=dict)


class UnifiedWebSocketManager:
    """One manager per user context; never instantiate directly."""

    def __init__(self, user_context: Optional[UserExecutionContext] = None) -> None:
        self.user_context = user_context
        self._connections: Dict[str, WebSocketConnection] = {}
        self._lock = asyncio.Lock()

    async def add_connection(self, connection: WebSocketConnection) -> None:
        async with self._lock:
            self._connections[connection.connection_id] = connection

    async def remove_connection(self, connection_id: str) -> None:
        async with self._lock:
            self._connections.pop(connection_id, None)

    async def send_to_user(self, user_id: str, message: Dict[str, Any]) -> int:
        sent = 0
        for conn in list(self._connections.values()):
            if conn.user_id == user_id and conn.websocket is not None:
                await conn.websocket.send_json(message)
                sent += 1
        return sent


WebSocketManager = UnifiedWebSocketManager

_managers: Dict[str, UnifiedWebSocketManager] = {}


async def get_websocket_manager(user_context: Optional[UserExecutionContext] = None) -> WebSocketManager:
    """Return the isolated manager for ``user_context`` (the SSOT creation path)."""
    key = user_context.user_id if user_context is not None else "__system__"
    manager = _managers.get(key)
    if manager is None:
        manager = UnifiedWebSocketManager(user_context)
        _managers[key] = manager
    return manager


def create_test_user_context(user_id: str = "test-user") -> UserExecutionContext:
    return UserExecutionContext(user_id=user_id, thread_id=f"thread-{user_id}", run_id=f"run-{user_id}")


__all__ = [
    "WebSocketConnection",
    "UnifiedWebSocketManager",
    "WebSocketManager",
    "get_websocket_manager",
    "create_test_user_context",
]
