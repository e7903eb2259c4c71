"""Per-request user execution context."""
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Optional


@dataclass(frozen=True)
class UserExecutionContext:
    user_id: str
    thread_id: str
    run_id: str
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    metadata: Dict[str, Any] = field(default_factory=dict)


def create_defensive_user_execution_context(
    user_id: str,
    thread_id: Optional[str] = None,
    run_id: Optional[str] = None,
) -> UserExecutionContext:
    if not user_id:
        raise ValueError("user_id is required")
    return UserExecutionContext(
        user_id=user_id,
        thread_id=thread_id or f"thread-{uuid.uuid4().hex[:8]}",
        run_id=run_id or f"run-{uuid.uuid4().hex[:8]}",
    )
