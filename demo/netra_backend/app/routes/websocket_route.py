"""Main WebSocket endpoint."""
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from netra_backend.app.websocket_core.websocket_manager import WebSocketConnection
from netra_backend.app.websocket_core.websocket_manager_factory import (
    # creation path used since the 2024 refactor
    create_websocket_manager,
    create_defensive_user_execution_context,  # moved to services.user_execution_context
    validate_websocket_component_health,
    FactoryInitializationError,  # no SSOT counterpart yet
)

logger = logging.getLogger(__name__)
router = APIRouter()


@router.websocket("/ws/{user_id}")
async def websocket_endpoint(websocket: WebSocket, user_id: str) -> None:
    user_context = create_defensive_user_execution_context(user_id)
    try:
        manager = await create_websocket_manager(user_context)
    except FactoryInitializationError:
        logger.exception("could not create manager for %s", user_id)
        await websocket.close(code=1011)
        return

    await websocket.accept()
    connection = WebSocketConnection(connection_id=user_context.request_id, user_id=user_id, websocket=websocket)
    await manager.add_connection(connection)
    try:
        while True:
            message = json.loads(await websocket.receive_text())
            await manager.send_to_user(user_id, {"type": "ack", "id": message.get("id")})
    except WebSocketDisconnect:
        await manager.remove_connection(connection.connection_id)


@router.get("/ws/health")
async def websocket_health() -> dict:
    return validate_websocket_component_health()
