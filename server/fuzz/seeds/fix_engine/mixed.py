from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager

async def handler(ctx):
    return await create_websocket_manager(ctx)
from netra_backend.app.websocket_core.manager import WebSocketManager
__all__ = ['create_websocket_manager']
