"""Agent execution route: streams agent events over the user's WebSocket."""
from fastapi import APIRouter, Depends

from netra_backend.app.services.user_execution_context import (
    UserExecutionContext,
    create_defensive_user_execution_context,
)
from netra_backend.app.websocket_core import create_websocket_manager
from netra_backend.app.websocket.connection_manager import ConnectionManager

router = APIRouter(prefix="/agents")
legacy_connections = ConnectionManager()


def get_user_context(user_id: str) -> UserExecutionContext:
    return create_defensive_user_execution_context(user_id)


@router.post("/{agent_name}/run")
async def run_agent(agent_name: str, ctx: UserExecutionContext = Depends(get_user_context)) -> dict:
    manager = await create_websocket_manager(ctx)
    await manager.send_to_user(ctx.user_id, {"type": "agent_started", "agent": agent_name})
    await legacy_connections.broadcast({"type": "agent_started", "user": ctx.user_id})
    return {"status": "started", "run_id": ctx.run_id}
