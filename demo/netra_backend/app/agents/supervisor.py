"""Supervisor agent: orchestrates sub-agents and reports progress."""
from __future__ import annotations

import logging
from typing import Any, Dict, List

import netra_backend.app.websocket_core.websocket_manager_factory as factory
from netra_backend.app.services.user_execution_context import UserExecutionContext

logger = logging.getLogger(__name__)


class SupervisorAgent:
    def __init__(self, sub_agents: List[Any]) -> None:
        self.sub_agents = sub_agents

    async def run(self, ctx: UserExecutionContext, request: Dict[str, Any]) -> Dict[str, Any]:
        manager = await factory.create_websocket_manager(ctx)
        await manager.send_to_user(ctx.user_id, {"type": "agent_started", "agent": "supervisor"})
        results = {}
        for agent in self.sub_agents:
            results[agent.name] = await agent.execute(ctx, request)
            await manager.send_to_user(ctx.user_id, {"type": "agent_completed", "agent": agent.name})
        health = factory.validate_websocket_component_health()
        logger.debug("websocket health after run: %s", health)
        return results

    def sync_fallback(self, ctx: UserExecutionContext):
        return factory.create_websocket_manager_sync(ctx)
