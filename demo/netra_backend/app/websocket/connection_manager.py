"""Legacy connection manager (pre-SSOT). Use websocket_core.websocket_manager."""
from typing import Any, Dict, List


class ConnectionManager:
    def __init__(self) -> None:
        self.active_connections: Dict[str, List[Any]] = {}

    async def connect(self, user_id: str, websocket: Any) -> None:
        await websocket.accept()
        self.active_connections.setdefault(user_id, []).append(websocket)

    def disconnect(self, user_id: str, websocket: Any) -> None:
        self.active_connections.get(user_id, []).remove(websocket)

    async def broadcast(self, message: Dict[str, Any]) -> None:
        for sockets in self.active_connections.values():
            for ws in sockets:
                await ws.send_json(message)


manager = ConnectionManager()
