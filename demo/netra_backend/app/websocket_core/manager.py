"""Compatibility shim: use ``websocket_manager`` instead."""
import warnings
from dataclasses import dataclass

from netra_backend.app.websocket_core.websocket_manager import (  # noqa: F401
    UnifiedWebSocketManager,
    WebSocketConnection,
    WebSocketManager,
    get_websocket_manager,
)

warnings.warn(
    "websocket_core.manager is deprecated; import from websocket_core.websocket_manager",
    DeprecationWarning,
    stacklevel=2,
)

WebSocketConnectionManager = WebSocketManager


@dataclass
class HeartbeatConfig:
    interval_seconds: float = 30.0
    timeout_seconds: float = 90.0


class WebSocketHeartbeatManager:
    def __init__(self, manager: WebSocketManager, config: HeartbeatConfig = HeartbeatConfig()) -> None:
        self.manager = manager
        self.config = config

    async def ping_all(self) -> None:
        for conn in list(self.manager._connections.values()):
            if conn.websocket is not None:
                await conn.websocket.send_json({"type": "ping"})


__all__ = [
    "UnifiedWebSocketManager",
    "WebSocketConnection",
    "WebSocketManager",
    "WebSocketConnectionManager",
    "WebSocketHeartbeatManager",
    "HeartbeatConfig",
    "get_websocket_manager",
]
