"""DEPRECATED: WebSocket manager factory.

Superseded by ``netra_backend.app.websocket_core.websocket_manager``.
Kept only so that old imports keep working during the SSOT migration.
"""
from __future__ import annotations

import warnings
from typing import Any, Dict, Optional

from netra_backend.app.monitoring.websocket_metrics import FactoryMetrics, ManagerMetrics
from netra_backend.app.services.user_execution_context import (
    UserExecutionContext,
    create_defensive_user_execution_context,
)
from netra_backend.app.websocket_core.websocket_manager import (
    UnifiedWebSocketManager,
    create_test_user_context,
)

warnings.warn(
    "websocket_manager_factory is deprecated; use websocket_manager.get_websocket_manager",
    DeprecationWarning,
    stacklevel=2,
)


class FactoryInitializationError(RuntimeError):
    """Raised when the factory cannot build a manager."""


class IsolatedWebSocketManager(UnifiedWebSocketManager):
    """Per-user manager created by the old factory."""


class ConnectionLifecycleManager:
    def __init__(self, manager: UnifiedWebSocketManager) -> None:
        self.manager = manager

    async def close_all(self) -> None:
        for connection_id in list(self.manager._connections):
            await self.manager.remove_connection(connection_id)


class WebSocketManagerFactory:
    def __init__(self) -> None:
        self._managers: Dict[str, IsolatedWebSocketManager] = {}
        self.metrics = FactoryMetrics()

    async def create_manager(self, user_context: UserExecutionContext) -> IsolatedWebSocketManager:
        if user_context is None:
            raise FactoryInitializationError("user_context is required")
        manager = self._managers.get(user_context.user_id)
        if manager is None:
            manager = IsolatedWebSocketManager(user_context)
            self._managers[user_context.user_id] = manager
            self.metrics.managers_created += 1
        return manager

    def get_manager_metrics(self, user_id: str) -> ManagerMetrics:
        manager = self._managers.get(user_id)
        return ManagerMetrics(user_id=user_id, connections=len(manager._connections) if manager else 0)


_factory: Optional[WebSocketManagerFactory] = None


def get_websocket_manager_factory() -> WebSocketManagerFactory:
    global _factory
    if _factory is None:
        _factory = WebSocketManagerFactory()
    return _factory


async def create_websocket_manager(user_context: UserExecutionContext) -> IsolatedWebSocketManager:
    return await get_websocket_manager_factory().create_manager(user_context)


def create_websocket_manager_sync(user_context: UserExecutionContext) -> IsolatedWebSocketManager:
    return IsolatedWebSocketManager(user_context)


def validate_websocket_component_health() -> Dict[str, Any]:
    factory = get_websocket_manager_factory()
    return {"healthy": True, "managers": len(factory._managers)}


__all__ = [
    "ConnectionLifecycleManager",
    "FactoryInitializationError",
    "FactoryMetrics",
    "IsolatedWebSocketManager",
    "ManagerMetrics",
    "WebSocketManagerFactory",
    "create_defensive_user_execution_context",
    "create_test_user_context",
    "create_websocket_manager",
    "create_websocket_manager_sync",
    "get_websocket_manager_factory",
    "validate_websocket_component_health",
]
