"""WebSocket core package.

The re-export of ``create_websocket_manager`` below is the deprecated package
re-export kept for backwards compatibility; new code should import
``get_websocket_manager`` from ``websocket_manager`` instead.
"""
from .websocket_manager import (
    UnifiedWebSocketManager,
    WebSocketConnection,
    WebSocketManager,
    get_websocket_manager,
)
from .websocket_manager_factory import create_websocket_manager  # noqa: F401 (compat shim)

__all__ = [
    "UnifiedWebSocketManager",
    "WebSocketConnection",
    "WebSocketManager",
    "get_websocket_manager",
    "create_websocket_manager",
]
