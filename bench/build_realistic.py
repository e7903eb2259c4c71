#!/usr/bin/env python3
"""Builds a realistic mid-migration `netra_backend` workspace (issues 10 and 12).
Standard library only; deterministic (seeded): the same arguments give the
same bytes on every machine.

    python3 bench/build_realistic.py --size small --commit old   # target/realistic/small-old (~300 files)
    python3 bench/build_realistic.py --size small --commit new   # target/realistic/small-new
    python3 bench/build_realistic.py --size bench                # target/bench/realistic (10,000 files, ~180 MB)
    python3 bench/build_realistic.py --size small --out DIR

What it writes, modelled on the figures of the real code base in DESIGN.md
(10% of files hold a trigger string, ~4 trigger lines each, most of them
`UnifiedWebSocketManager` mentions that are not findings; 131 of 201 factory
imports inside functions or `try`; `connection_manager` mostly as unrelated
attributes; a few files with dozens of mentions; tests that construct
`UnifiedWebSocketManager(...)` directly; `patch("…")` strings; re-export hubs):

- the WebSocket modules with real signatures: the canonical
  `websocket_core/websocket_manager.py` (+ `unified_manager.py`), the
  deprecated `websocket_manager_factory.py` and `websocket_core/manager.py`
  shims (both warn with `DeprecationWarning`), the legacy
  `websocket/connection_manager.py`, the package `websocket_core/__init__.py`
  and the hub `websocket_core/canonical_imports.py` that re-export deprecated
  names (through `__all__`), the plain-binding hub `websocket_core/ws_imports.py`
  (no `__all__`: its importers alone make it a re-export),
  `services/user_execution_context.py`, `monitoring/websocket_metrics.py`;
- caller modules (production code and tests) with the trigger forms;
- filler modules: generated Python without a trigger string;
- in every module, imports of the project's other modules as the real code
  writes them (a sample of 20 real files with a trigger: 5.1 `netra_backend`
  imports each, a quarter of them parenthesised over several lines with one
  to three names, 3 imports inside functions or `try` per file), none of
  them holding a trigger string ([`PROJECT_MODULES`]).

Two "commits" of the same workspace, as the issue saw them:

- `--commit old`: the package's `create_websocket_manager` is a SYNC wrapper
  that its callers call without `await`; `get_websocket_manager` takes no
  `user_id`; `services/user_execution_context.py` defines no
  `create_defensive_user_execution_context` and `monitoring/websocket_metrics.py`
  no `ManagerMetrics` (the factory module defines both itself);
- `--commit new`: those exist, the package wrapper is async and awaited,
  `get_websocket_manager` accepts `user_id`.

A fix that follows the built-in map blindly breaks the old commit (ImportError,
TypeError, a coroutine never awaited) and not the new one. MANIFEST.json
(written beside the tree, never holding a trigger string) counts files, bytes,
trigger files and lines and the snippets of each kind.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import textwrap
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20251201

# name: (files, share of files with a trigger, filler bytes, trigger-file bytes)
SIZES = {
    "small": (300, 0.15, 2_500, 5_000),
    "bench": (10_000, 0.10, 17_900, 26_000),
}
DEFAULT_OUT = {"small": ROOT / "target" / "realistic", "bench": ROOT / "target" / "bench"}

# The prefilter's trigger strings (bench/run.sh's rg pattern).
TRIGGERS = (
    "websocket_manager_factory",
    "websocket_core.manager",
    "connection_manager",
    "UnifiedWebSocketManager",
    "get_websocket_manager_factory",
    "create_websocket_manager",
)

CORE = "netra_backend.app.websocket_core"
FACTORY = f"{CORE}.websocket_manager_factory"
CANONICAL = f"{CORE}.websocket_manager"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# ------------------------------------------------------------ fixed modules


def event_routes(count: int) -> str:
    """A class of `count` event handlers, appended to the canonical modules:
    a real code base's are thousands of lines, and every check indexes them
    before its first candidate (a 4 KB stand-in hid 51 ms of CPU a check)."""
    methods = "".join(
        f'''
    async def route_event_{number}(self, user_id: str, payload: Dict[str, Any], *, retries: int = 3) -> bool:
        """Send event {number} to the connections of ``user_id``."""
        delivered = False
        for connection in self._routes.get(user_id, []):
            try:
                await connection.send_json({{"type": "event_{number}", "payload": payload}})
                delivered = True
            except ConnectionError:
                retries -= 1
                if retries <= 0:
                    break
        return delivered
'''
        for number in range(count)
    )
    return (
        "\n\nclass EventRoutes:\n"
        '    """Routes typed events to the connections of each user."""\n\n'
        "    def __init__(self) -> None:\n"
        "        self._routes: Dict[str, list] = {}\n"
    ) + methods


def unified_manager() -> str:
    return dedent(
        '''
        """The one WebSocket manager implementation (SSOT).

        Never instantiate ``UnifiedWebSocketManager`` directly outside tests: use
        ``websocket_manager.get_websocket_manager(user_context)``.
        """
        from __future__ import annotations

        import asyncio
        from dataclasses import dataclass, field
        from enum import Enum
        from typing import Any, Dict, Optional


        class WebSocketManagerMode(Enum):
            UNIFIED = "unified"
            ISOLATED = "isolated"
            EMERGENCY = "emergency"


        @dataclass
        class WebSocketConnection:
            connection_id: str
            user_id: str
            websocket: Any = None
            metadata: Dict[str, Any] = field(default_factory=dict)


        class UnifiedWebSocketManager:
            """Per-user WebSocket manager; direct construction is allowed in tests."""

            def __init__(
                self,
                mode: WebSocketManagerMode = WebSocketManagerMode.UNIFIED,
                user_context: Optional[Any] = None,
                config: Optional[Dict[str, Any]] = None,
                _ssot_authorization_token: Optional[str] = None,
            ) -> None:
                self.mode = mode
                self.user_context = user_context
                self.config = config or {}
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

            def connection_count(self) -> int:
                return len(self._connections)
        '''
    ) + event_routes(260)


def websocket_manager(commit: str) -> str:
    user_id = "\n    user_id: Optional[str] = None," if commit == "new" else ""
    key = "user_id or (user_context.user_id if user_context is not None else \"__system__\")" if commit == "new" else '(user_context.user_id if user_context is not None else "__system__")'
    return dedent(
        '''
        """Canonical (SSOT) WebSocket manager module: the one creation path."""
        from __future__ import annotations

        from typing import Any, Dict, Optional

        from netra_backend.app.services.user_execution_context import UserExecutionContext
        from netra_backend.app.websocket_core.unified_manager import (
            UnifiedWebSocketManager,
            WebSocketConnection,
            WebSocketManagerMode,
        )

        WebSocketManager = UnifiedWebSocketManager
        MAX_CONNECTIONS_PER_USER = 5
        _managers: Dict[str, UnifiedWebSocketManager] = {}


        async def get_websocket_manager(
            user_context: Optional[UserExecutionContext] = None,
            mode: WebSocketManagerMode = WebSocketManagerMode.UNIFIED,USER_ID
        ) -> WebSocketManager:
            """Return the isolated manager of ``user_context``."""
            key = KEY
            manager = _managers.get(key)
            if manager is None:
                manager = UnifiedWebSocketManager(mode=mode, user_context=user_context)
                _managers[key] = manager
            return manager


        def create_test_user_context(user_id: str = "test-user") -> UserExecutionContext:
            return UserExecutionContext(user_id=user_id, thread_id=f"thread-{user_id}", run_id=f"run-{user_id}")


        def get_manager_registry_status() -> Dict[str, Any]:
            return {"managers": len(_managers)}


        __all__ = [
            "WebSocketConnection",
            "UnifiedWebSocketManager",
            "WebSocketManager",
            "WebSocketManagerMode",
            "MAX_CONNECTIONS_PER_USER",
            "get_websocket_manager",
            "create_test_user_context",
            "get_manager_registry_status",
        ]
        '''
    ).replace("USER_ID", user_id).replace("KEY", key) + event_routes(120)


def user_execution_context(commit: str) -> str:
    text = dedent(
        '''
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
        '''
    )
    if commit == "new":
        text += "\n\n" + defensive_context_def()
    return text


def defensive_context_def() -> str:
    return dedent(
        '''
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
        '''
    )


def manager_metrics_def() -> str:
    return dedent(
        '''
        @dataclass
        class ManagerMetrics:
            user_id: str = ""
            connections: int = 0
            messages_sent: int = 0
        '''
    )


def websocket_metrics(commit: str) -> str:
    text = dedent(
        '''
        """WebSocket metrics."""
        from dataclasses import dataclass


        @dataclass
        class FactoryMetrics:
            managers_created: int = 0
            managers_cleaned_up: int = 0
        '''
    )
    if commit == "new":
        text += "\n\n" + manager_metrics_def()
    return text


def factory_module(commit: str) -> str:
    if commit == "old":
        moved_imports = "import uuid\nfrom dataclasses import dataclass\n"
        moved_defs = "\n\n" + defensive_context_def() + "\n\n" + manager_metrics_def()
        metrics_import = "from netra_backend.app.monitoring.websocket_metrics import FactoryMetrics\n"
        context_import = "from netra_backend.app.services.user_execution_context import UserExecutionContext\n"
    else:
        moved_imports = ""
        moved_defs = ""
        metrics_import = "from netra_backend.app.monitoring.websocket_metrics import FactoryMetrics, ManagerMetrics\n"
        context_import = (
            "from netra_backend.app.services.user_execution_context import (\n"
            "    UserExecutionContext,\n"
            "    create_defensive_user_execution_context,\n"
            ")\n"
        )
    head = dedent(
        '''
        """DEPRECATED: WebSocket manager factory.

        Superseded by ``netra_backend.app.websocket_core.websocket_manager``.
        """
        from __future__ import annotations

        '''
    )
    body = dedent(
        '''
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


        class WebSocketManagerFactory:
            def __init__(self, max_managers_per_user: int = 20, connection_timeout_seconds: int = 1800) -> None:
                self.max_managers_per_user = max_managers_per_user
                self.connection_timeout_seconds = connection_timeout_seconds
                self._managers: Dict[str, IsolatedWebSocketManager] = {}
                self.metrics = FactoryMetrics()

            async def create_manager(self, user_context: UserExecutionContext) -> IsolatedWebSocketManager:
                if user_context is None:
                    raise FactoryInitializationError("user_context is required")
                manager = self._managers.get(user_context.user_id)
                if manager is None:
                    manager = IsolatedWebSocketManager(user_context=user_context)
                    self._managers[user_context.user_id] = manager
                    self.metrics.managers_created += 1
                return manager


        _factory: Optional[WebSocketManagerFactory] = None


        def get_websocket_manager_factory() -> WebSocketManagerFactory:
            global _factory
            if _factory is None:
                _factory = WebSocketManagerFactory()
            return _factory


        async def create_websocket_manager(
            user_context: Optional[UserExecutionContext] = None,
            user_id: Optional[str] = None,
        ) -> IsolatedWebSocketManager:
            if user_context is None and user_id is not None:
                user_context = create_defensive_user_execution_context(user_id)
            return await get_websocket_manager_factory().create_manager(user_context)


        def create_websocket_manager_sync(user_context: Optional[UserExecutionContext] = None) -> IsolatedWebSocketManager:
            return IsolatedWebSocketManager(user_context=user_context)


        def validate_websocket_component_health() -> Dict[str, Any]:
            return {"healthy": True, "managers": len(get_websocket_manager_factory()._managers)}
        '''
    )
    tail = dedent(
        '''


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
        '''
    )
    imports = (
        "import warnings\n"
        + moved_imports
        + "from typing import Any, Dict, Optional\n\n"
        + metrics_import
        + context_import
        + f"from {CANONICAL} import UnifiedWebSocketManager, create_test_user_context\n\n"
    )
    return head + imports + body + moved_defs + tail


def package_init(commit: str) -> str:
    text = dedent(
        '''
        """WebSocket core package.

        Re-exports the canonical names, and (deprecated, kept for old callers) the
        factory's creation path.
        """
        from .websocket_manager import (
            UnifiedWebSocketManager,
            WebSocketConnection,
            WebSocketManager,
            get_websocket_manager,
        )
        from .websocket_manager_factory import (
            IsolatedWebSocketManager,
            WebSocketManagerFactory,
            get_websocket_manager_factory,
        )
        '''
    )
    if commit == "old":
        text += dedent(
            '''


            def create_websocket_manager(user_context=None, user_id=None):
                """Synchronous compatibility wrapper: returns a manager at once."""
                return IsolatedWebSocketManager(user_context=user_context)
            '''
        )
    else:
        text += "from .websocket_manager_factory import create_websocket_manager  # noqa: F401 (compat)\n"
    text += dedent(
        '''


        __all__ = [
            "UnifiedWebSocketManager",
            "WebSocketConnection",
            "WebSocketManager",
            "get_websocket_manager",
            "IsolatedWebSocketManager",
            "WebSocketManagerFactory",
            "get_websocket_manager_factory",
            "create_websocket_manager",
        ]
        '''
    )
    return text


def canonical_imports() -> str:
    return dedent(
        f'''
        """One place to import the WebSocket layer from (a re-export hub)."""
        from {CANONICAL} import (
            UnifiedWebSocketManager,
            WebSocketManager,
            get_websocket_manager,
        )
        from {FACTORY} import (
            WebSocketManagerFactory,
            create_websocket_manager,
            get_websocket_manager_factory,
        )

        __all__ = [
            "UnifiedWebSocketManager",
            "WebSocketManager",
            "get_websocket_manager",
            "WebSocketManagerFactory",
            "create_websocket_manager",
            "get_websocket_manager_factory",
        ]
        '''
    )


def plain_hub() -> str:
    return dedent(
        '''
        """Short imports for the WebSocket layer (a re-export hub without ``__all__``)."""
        from .websocket_manager import WebSocketManager, get_websocket_manager
        from .websocket_manager_factory import create_websocket_manager
        '''
    )


def shim_manager() -> str:
    return dedent(
        f'''
        """Compatibility shim: use ``websocket_manager`` instead."""
        import warnings
        from dataclasses import dataclass

        from {CANONICAL} import (  # noqa: F401
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


        __all__ = [
            "UnifiedWebSocketManager",
            "WebSocketConnection",
            "WebSocketManager",
            "WebSocketConnectionManager",
            "WebSocketHeartbeatManager",
            "HeartbeatConfig",
            "get_websocket_manager",
        ]
        '''
    )


def legacy_connection_manager() -> str:
    return dedent(
        '''
        """Legacy connection manager (pre-SSOT)."""
        from typing import Any, Dict, List


        class ConnectionManager:
            def __init__(self) -> None:
                self.active_connections: Dict[str, List[Any]] = {}

            async def connect(self, user_id: str, websocket: Any) -> None:
                self.active_connections.setdefault(user_id, []).append(websocket)

            async def broadcast(self, message: Dict[str, Any]) -> None:
                for sockets in self.active_connections.values():
                    for ws in sockets:
                        await ws.send_json(message)


        manager = ConnectionManager()
        '''
    )


def fixed_modules(commit: str) -> dict[str, str]:
    app = "netra_backend/app"
    return {
        "netra_backend/__init__.py": '"""Netra backend."""\n',
        f"{app}/__init__.py": '"""Application package."""\n',
        f"{app}/websocket_core/__init__.py": package_init(commit),
        f"{app}/websocket_core/unified_manager.py": unified_manager(),
        f"{app}/websocket_core/websocket_manager.py": websocket_manager(commit),
        f"{app}/websocket_core/websocket_manager_factory.py": factory_module(commit),
        f"{app}/websocket_core/manager.py": shim_manager(),
        f"{app}/websocket_core/canonical_imports.py": canonical_imports(),
        f"{app}/websocket_core/ws_imports.py": plain_hub(),
        f"{app}/websocket/__init__.py": '"""Legacy WebSocket package (pre-SSOT)."""\n',
        f"{app}/websocket/connection_manager.py": legacy_connection_manager(),
        f"{app}/services/__init__.py": '"""Services."""\n',
        f"{app}/services/user_execution_context.py": user_execution_context(commit),
        f"{app}/monitoring/__init__.py": '"""Monitoring."""\n',
        f"{app}/monitoring/websocket_metrics.py": websocket_metrics(commit),
    }


# ------------------------------------------------------------ filler

WORDS = (
    "account agent audit batch budget cache channel chunk client config context cost count cursor "
    "dataset deadline delta digest draft entry event export field filter flag gateway graph handler "
    "index invoice item job key label ledger limit lookup metric model node offset order owner page "
    "payload plan policy pool prompt queue quota rate record region report request result retry "
    "route rule run sample schema scope score session shard signal slot snapshot source span stage "
    "state status step store stream summary task tenant thread token trace usage user value window"
).split()
VERBS = "build check collect compute convert emit fetch filter format load merge normalize parse prepare publish read refresh render resolve schedule select split store summarize sync update validate write".split()
STDLIB = [
    "import json",
    "import logging",
    "import os",
    "import re",
    "import time",
    "from collections import defaultdict",
    "from dataclasses import dataclass, field",
    "from datetime import datetime, timedelta",
    "from typing import Any, Dict, List, Optional",
]


# The project's other modules as real files import them (module, names,
# weight: statements in the sample of 20 real files above). None holds a
# trigger string, nor a hub's alias; `services.user_execution_context` is a
# target of the rules' name map, the rest no rule's path runs through.
PROJECT_MODULES = [
    ("netra_backend.app.logging_config", ["central_logger"], 8),
    ("netra_backend.app.services.user_execution_context", ["UserExecutionContext"], 10),
    ("netra_backend.app.websocket_core.types", ["MessageType", "WebSocketMessage", "ServerMessage", "ErrorMessage", "create_server_message"], 5),
    ("netra_backend.app.websocket_core.protocols", ["WebSocketProtocol"], 2),
    ("netra_backend.app.websocket_core.unified_emitter", ["UnifiedWebSocketEmitter"], 2),
    ("netra_backend.app.websocket_core.utils", ["is_websocket_connected", "safe_websocket_send"], 2),
    ("netra_backend.app.dependencies", ["get_user_execution_context", "get_request_scoped_db_session"], 2),
    ("netra_backend.app.core.configuration", ["get_configuration"], 2),
    ("netra_backend.app.core.exceptions", ["ServiceError", "ValidationError", "NetraException"], 2),
    ("netra_backend.app.db.database_manager", ["DatabaseManager"], 2),
    ("netra_backend.app.db.session", ["get_db_session"], 1),
    ("netra_backend.app.llm.llm_manager", ["LLMManager"], 1),
    ("netra_backend.app.schemas.core_models", ["Thread", "Message", "Run"], 1),
    ("netra_backend.app.agents.supervisor_consolidated", ["SupervisorAgent"], 1),
    ("netra_backend.app.services.thread_service", ["ThreadService"], 1),
    ("netra_backend.app.services.quality_gate_service", ["QualityGateService"], 1),
    ("netra_backend.app.monitoring.metrics_collector", ["MetricsCollector"], 1),
    ("netra_backend.app.clients.auth_client_core", ["auth_client"], 1),
    ("shared.isolated_environment", ["get_env"], 2),
]
TEST_MODULES = [("test_framework.ssot.base_test_case", ["SSotAsyncTestCase", "SSotBaseTestCase"], 4)]


def project_import(rng: random.Random, modules: list = PROJECT_MODULES, indent: str = "") -> str:
    """One import of a project module: one to three of its names, a quarter
    of the time parenthesised one name a line."""
    module, names, _ = rng.choices(modules, weights=[weight for *_, weight in modules])[0]
    chosen = rng.sample(names, min(len(names), rng.choice([1, 1, 2, 2, 3])))
    if rng.random() < 0.25:
        body = "".join(f"{indent}    {name},\n" for name in chosen)
        return f"{indent}from {module} import (\n{body}{indent})"
    return f"{indent}from {module} import {', '.join(chosen)}"


def project_imports(rng: random.Random, is_test: bool = False) -> list[str]:
    """A module's top-level imports of the project's other modules."""
    imports = {project_import(rng) for _ in range(rng.randint(2, 6))}
    if is_test and rng.random() < 0.7:
        imports.add(project_import(rng, TEST_MODULES))
    return sorted(imports)


def ident(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(WORDS) for _ in range(parts))


def camel(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(WORDS).capitalize() for _ in range(parts))


def filler_statements(rng: random.Random, indent: str, params: list[str]) -> list[str]:
    """A function body: assignments, a loop, a branch, a comment, a return."""
    lines = []
    names = list(params) or ["value"]
    if not params:
        lines.append(f"{indent}value = {rng.randint(0, 100)}")
    for _ in range(rng.randint(2, 6)):
        kind = rng.random()
        name = ident(rng, 1) + f"_{rng.randint(0, 9)}"
        source = rng.choice(names)
        if kind < 0.25:
            lines.append(f"{indent}# {rng.choice(VERBS).capitalize()} the {rng.choice(WORDS)} before the {rng.choice(WORDS)} is {rng.choice(VERBS)}d.")
            lines.append(f"{indent}{name} = {{\"{rng.choice(WORDS)}\": {source}, \"{rng.choice(WORDS)}\": {rng.randint(1, 999)}}}")
        elif kind < 0.5:
            lines.append(f"{indent}{name} = []")
            lines.append(f"{indent}for item in range({rng.randint(2, 50)}):")
            lines.append(f"{indent}    if item % {rng.randint(2, 7)} == 0:")
            lines.append(f"{indent}        {name}.append((item, {source}))")
        elif kind < 0.7:
            lines.append(f"{indent}if {source} is None:")
            lines.append(f"{indent}    {name} = \"{rng.choice(WORDS)}-{rng.choice(WORDS)}\"")
            lines.append(f"{indent}else:")
            lines.append(f"{indent}    {name} = f\"{{{source}}}-{rng.choice(WORDS)}\"")
        elif kind < 0.85:
            lines.append(f"{indent}{name} = json.dumps({{\"{rng.choice(WORDS)}\": str({source})}}, sort_keys=True)")
        else:
            lines.append(f"{indent}{name} = os.environ.get(\"{rng.choice(WORDS).upper()}_{rng.choice(WORDS).upper()}\", \"{rng.randint(0, 60)}\")")
        names.append(name)
    lines.append(f"{indent}return {rng.choice(names[-3:])}")
    return lines


def filler_function(rng: random.Random, indent: str = "", method: bool = False, imports: random.Random | None = None) -> str:
    """A function; `imports` (its own stream, so that the rest is the same
    with or without it) sometimes puts an import of a project module at the
    top of its body."""
    params = [ident(rng, 1) for _ in range(rng.randint(0, 3))]
    params = list(dict.fromkeys(params))
    signature = ", ".join((["self"] if method else []) + [f"{p}: Any = None" for p in params])
    name = f"{rng.choice(VERBS)}_{ident(rng)}"
    asynchronous = "async " if rng.random() < 0.2 else ""
    lines = [f"{indent}{asynchronous}def {name}({signature}) -> Any:"]
    lines.append(f'{indent}    """{rng.choice(VERBS).capitalize()} the {rng.choice(WORDS)} {rng.choice(WORDS)} of a {rng.choice(WORDS)}."""')
    if imports is not None and imports.random() < LOCAL_IMPORT_SHARE:
        lines.append(project_import(imports, indent=indent + "    "))
    lines += filler_statements(rng, indent + "    ", params)
    return "\n".join(lines) + "\n"


# The share of filler functions that import a project module first: about
# two such imports in a file of the benchmark's sizes.
LOCAL_IMPORT_SHARE = 0.05


def filler_class(rng: random.Random, imports: random.Random | None = None) -> str:
    name = camel(rng)
    lines = [f"class {name}:", f'    """{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} for the {rng.choice(WORDS)} service."""', ""]
    attrs = list(dict.fromkeys(ident(rng, 1) for _ in range(rng.randint(1, 4))))
    lines.append(f"    def __init__(self, {', '.join(f'{a}: Any = None' for a in attrs)}) -> None:")
    lines += [f"        self.{a} = {a}" for a in attrs]
    for _ in range(rng.randint(1, 4)):
        lines.append("")
        lines += filler_function(rng, "    ", method=True, imports=imports).rstrip("\n").split("\n")
    return "\n".join(lines) + "\n"


def filler_block(rng: random.Random, imports: random.Random | None = None) -> str:
    return filler_class(rng, imports) if rng.random() < 0.35 else filler_function(rng, imports=imports)


def filler_module(rng: random.Random, target_bytes: int, imports: random.Random | None = None, is_test: bool = False) -> str:
    project = project_imports(imports, is_test) if imports is not None else []
    head = f'"""{rng.choice(VERBS).capitalize()} {rng.choice(WORDS)} {rng.choice(WORDS)}s."""\n' + "\n".join(STDLIB) + "\n"
    if project:
        head += "\n" + "\n".join(project) + "\n"
    head += "\nlogger = logging.getLogger(__name__)\n"
    return head + fill_to(rng, target_bytes - len(head), imports)


def fill_to(rng: random.Random, budget: int, imports: random.Random | None = None) -> str:
    blocks = []
    while budget > 0:
        block = filler_block(rng, imports)
        blocks.append(block)
        budget -= len(block) + 2
    return "".join("\n\n" + b for b in blocks)


# ------------------------------------------------------------ trigger snippets

# A file's way of getting the factory's creation function (profile), with
# weights: 131 of 201 real factory imports sit inside functions or `try`.
CREATION_SOURCES = {
    "factory_top": 12,
    "factory_alias": 4,
    "factory_local": 30,
    "factory_try": 12,
    "package_top": 3,
    "package_local": 3,
    "hub": 26,
    "module_alias": 14,
}
# Names the real code gives the factory's function on import.
FACTORY_ALIASES = ["factory_create", "create_manager", "make_ws_manager"]
PRODUCTION_KINDS = {
    "annotation": 24,
    "connection_attribute": 22,
    "create_call": 22,
    "moved_name": 7,
    "factory_call": 3,
    "factory_constructor": 2,
    "shim_import": 4,
    "legacy_import": 3,
    "comment": 10,
    "type_checking": 3,
    "all_export": 2,
    "direct_construction": 2,
}
TEST_KINDS = {
    "direct_construction": 35,
    "patch_string": 15,
    "annotation": 15,
    "create_call": 20,
    "moved_name": 10,
    "comment": 5,
}


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class TriggerFile:
    """Collects the imports, module-level blocks and snippets of one caller."""

    def __init__(
        self,
        rng: random.Random,
        commit: str,
        is_test: bool,
        imports: random.Random | None = None,
        vocabulary: random.Random | None = None,
    ):
        self.rng = rng
        # The project imports' own stream (see `filler_function`).
        self.imports_rng = imports
        # The WebSocket code's own stream (see `websocket_code`).
        self.vocabulary_rng = vocabulary
        self.commit = commit
        self.is_test = is_test
        self.imports: set[str] = set()
        self.prelude: list[str] = []
        self.blocks: list[str] = []
        self.exports: list[str] = []
        self.kinds: Counter = Counter()
        self.source = pick(rng, CREATION_SOURCES)
        self.hub: str | None = None
        self.alias: str | None = None
        self.count = 0

    def add(self, kind: str, r: float | None = None) -> None:
        """Adds a snippet; `r` picks its variant (default: a random draw)."""
        self.count += 1
        self.kinds[kind] += 1
        getattr(self, f"snippet_{kind}")(self.count, self.rng.random() if r is None else r)

    # Each snippet gets one number in [0, 1) (`r`) that picks its variant,
    # the same whatever the commit, so that both commits of a workspace
    # share every other byte. Small `r` picks the rare variants.

    def snippet_annotation(self, i: int, r: float) -> None:
        self.imports.add(f"from {CANONICAL} import UnifiedWebSocketManager")
        verb = VERBS[i % len(VERBS)]
        # A docstring or a comment names the class too (one of the two).
        mention = (
            '"""Send ``payload`` through the user\'s UnifiedWebSocketManager."""'
            if r < 0.5
            else "# The UnifiedWebSocketManager is per user: never share it between requests."
        )
        self.blocks.append(
            dedent(
                f'''
                async def {verb}_for_user_{i}(manager: UnifiedWebSocketManager, user_id: str, payload: Dict[str, Any]) -> int:
                    {mention}
                    if not isinstance(manager, UnifiedWebSocketManager):
                        raise TypeError("expected a UnifiedWebSocketManager")
                    return await manager.send_to_user(user_id, payload)
                '''
            )
        )

    def snippet_connection_attribute(self, i: int, r: float) -> None:
        self.blocks.append(
            dedent(
                f'''
                class EventRelay{i}:
                    def __init__(self, connection_manager: Any) -> None:
                        self.connection_manager = connection_manager

                    async def relay(self, user_id: str, event: str) -> None:
                        await self.connection_manager.send(user_id, {{"event": event}})
                '''
            )
        )

    def creation_call(self, callee: str, r: float) -> tuple[str, bool]:
        """The call expression and whether the enclosing def is async."""
        # 11 of the real code's creation calls pass `user_id=`.
        by_user_id = r < 0.04
        args = "user_id=user_context.user_id" if by_user_id else "user_context"
        if self.source.startswith("package") and self.commit == "old":
            return f"{callee}({args})", False  # the sync wrapper of that commit
        return f"await {callee}({args})", True

    def snippet_create_call(self, i: int, r: float) -> None:
        source = self.source
        if source == "factory_alias" and self.alias is None:
            # The file's first choice, like the hub's (no draw of its own).
            self.alias = FACTORY_ALIASES[int(r * 1000) % len(FACTORY_ALIASES)]
        callee = {"module_alias": "wmf.create_websocket_manager", "factory_alias": self.alias}.get(
            source, "create_websocket_manager"
        )
        local = ""
        if source == "factory_top":
            self.imports.add(f"from {FACTORY} import create_websocket_manager")
        elif source == "factory_alias":
            # At the top of a module: the module binds the deprecated function
            # under another name (a hub alias: `check` then reads every file
            # that may import it).
            self.imports.add(f"from {FACTORY} import create_websocket_manager as {callee}")
        elif source == "factory_local":
            local = f"    from {FACTORY} import create_websocket_manager\n\n"
        elif source == "factory_try":
            block = dedent(
                f'''
                try:
                    from {FACTORY} import create_websocket_manager
                except ImportError:  # the WebSocket layer is optional in command-line tools
                    create_websocket_manager = None
                '''
            )
            if block not in self.prelude:
                self.prelude.append(block)
        elif source == "package_top":
            self.imports.add(f"from {CORE} import create_websocket_manager")
        elif source == "package_local":
            local = f"    from {CORE} import create_websocket_manager\n\n"
        elif source == "hub":
            # Six in ten of these files import from the plain hub (the real
            # code's most imported hub has no `__all__`); the choice is the
            # file's first, and takes no random draw of its own.
            if self.hub is None:
                self.hub = "ws_imports" if (r * 1000) % 10 < 6 else "canonical_imports"
            self.imports.add(f"from {CORE}.{self.hub} import create_websocket_manager")
        elif source == "module_alias":
            self.imports.add(f"import {FACTORY} as wmf")
        call, asynchronous = self.creation_call(callee, r)
        keyword = "async def" if asynchronous else "def"
        guard = "    if create_websocket_manager is None:\n        return None\n" if source == "factory_try" else ""
        self.blocks.append(
            f"{keyword} manager_for_{i}(user_context: Any) -> Any:\n"
            f"{local}{guard}"
            f"    manager = {call}\n"
            f"    logger.debug(\"manager ready for %s\", user_context.user_id)\n"
            f"    return manager\n"
        )

    def snippet_moved_name(self, i: int, r: float) -> None:
        if self.is_test:
            name, use = "create_test_user_context", f'create_test_user_context("user-{i}")'
        elif r < 0.12:
            name, use = "create_defensive_user_execution_context", "create_defensive_user_execution_context(user_id)"
        elif r < 0.2:
            name, use = "ManagerMetrics", "ManagerMetrics(user_id=user_id)"
        else:
            name, use = "FactoryMetrics", "FactoryMetrics()"
        self.blocks.append(
            f"def context_or_metrics_{i}(user_id: str) -> Any:\n"
            f"    from {FACTORY} import {name}\n\n"
            f"    return {use}\n"
        )

    def snippet_factory_call(self, i: int, r: float) -> None:
        self.blocks.append(
            f"def factory_size_{i}() -> int:\n"
            f"    from {FACTORY} import get_websocket_manager_factory\n\n"
            f"    factory = get_websocket_manager_factory()\n"
            f"    return len(factory._managers)\n"
        )

    def snippet_factory_constructor(self, i: int, r: float) -> None:
        self.blocks.append(
            f"def bounded_factory_{i}() -> Any:\n"
            f"    from {FACTORY} import WebSocketManagerFactory\n\n"
            f"    return WebSocketManagerFactory(max_managers_per_user=10)\n"
        )

    def snippet_shim_import(self, i: int, r: float) -> None:
        if r < 0.5:
            self.blocks.append(
                f"def heartbeat_for_{i}(manager: Any) -> Any:\n"
                f"    from {CORE}.manager import HeartbeatConfig, WebSocketHeartbeatManager\n\n"
                f"    return WebSocketHeartbeatManager(manager, HeartbeatConfig())\n"
            )
        else:
            self.blocks.append(
                f"def is_manager_{i}(candidate: Any) -> bool:\n"
                f"    from {CORE}.manager import WebSocketConnectionManager\n\n"
                f"    return isinstance(candidate, WebSocketConnectionManager)\n"
            )

    def snippet_legacy_import(self, i: int, r: float) -> None:
        self.blocks.append(
            f"async def legacy_broadcast_{i}(message: Dict[str, Any]) -> None:\n"
            f"    from netra_backend.app.websocket.connection_manager import ConnectionManager\n\n"
            f"    await ConnectionManager().broadcast(message)\n"
        )

    def snippet_comment(self, i: int, r: float) -> None:
        self.blocks.append(
            f"def migration_note_{i}() -> str:\n"
            f"    # Replaces websocket_manager_factory.create_websocket_manager (SSOT migration).\n"
            f"    return \"UnifiedWebSocketManager instances come from get_websocket_manager\"\n"
        )

    def snippet_type_checking(self, i: int, r: float) -> None:
        self.imports.add("from typing import TYPE_CHECKING")
        block = f"if TYPE_CHECKING:\n    from {FACTORY} import WebSocketManagerFactory\n"
        if block not in self.prelude:
            self.prelude.append(block)
        self.blocks.append(
            f"class FactoryHolder{i}:\n"
            f"    def __init__(self, factory: Optional[\"WebSocketManagerFactory\"] = None) -> None:\n"
            f"        self.factory = factory\n"
        )

    def snippet_all_export(self, i: int, r: float) -> None:
        self.imports.add(f"from {FACTORY} import create_websocket_manager_sync")
        self.exports.append("create_websocket_manager_sync")
        self.blocks.append(
            f"def sync_manager_{i}(user_context: Any) -> Any:\n"
            f"    return create_websocket_manager_sync(user_context)\n"
        )
        self.exports.append(f"sync_manager_{i}")

    def snippet_direct_construction(self, i: int, r: float) -> None:
        self.imports.add(f"from {CANONICAL} import UnifiedWebSocketManager, create_test_user_context")
        if self.is_test:
            self.imports.add("import pytest")
            self.blocks.append(
                f"@pytest.mark.asyncio\n"
                f"async def test_manager_isolation_{i}() -> None:\n"
                f"    manager = UnifiedWebSocketManager(user_context=create_test_user_context(\"user-{i}\"))\n"
                f"    assert manager.connection_count() == 0\n"
            )
        else:
            self.blocks.append(
                f"def system_manager_{i}() -> Any:\n"
                f"    return UnifiedWebSocketManager(user_context=create_test_user_context(\"system\"))\n"
            )

    def snippet_patch_string(self, i: int, r: float) -> None:
        self.imports.add("from unittest.mock import AsyncMock, patch")
        self.blocks.append(
            f"def test_patched_factory_{i}() -> None:\n"
            f"    with patch(\"{FACTORY}.create_websocket_manager\", new=AsyncMock()) as mocked:\n"
            f"        assert mocked.await_count == 0\n"
        )

    def render(self, target_bytes: int) -> str:
        if self.vocabulary_rng is not None:
            self.blocks += websocket_code(self.vocabulary_rng, self.imports)
        imports = sorted(i for i in self.imports if i.startswith("import ") and not i.startswith("import netra"))
        froms = sorted(i for i in self.imports if i.startswith("from ") and not i.startswith("from netra"))
        netra = sorted(i for i in self.imports if "netra_backend" in i)
        if self.imports_rng is not None:
            netra = sorted(set(netra) | set(project_imports(self.imports_rng, self.is_test)))
        head = [f'"""{rng_doc(self.rng)}"""', *STDLIB, *imports, *froms, "", *netra]
        text = "\n".join(head) + "\n"
        for block in self.prelude:
            text += "\n" + block
        text += "\nlogger = logging.getLogger(__name__)\n"
        filler_budget = max(0, target_bytes - len(text) - sum(len(b) for b in self.blocks))
        per_gap = filler_budget // (len(self.blocks) + 1)
        for block in self.blocks:
            text += fill_to(self.rng, per_gap, self.imports_rng) + "\n\n" + block
        text += fill_to(self.rng, per_gap, self.imports_rng)
        if self.exports:
            text += "\n\n__all__ = [\n" + "".join(f'    "{name}",\n' for name in self.exports) + "]\n"
        return text


# How many blocks of WebSocket code a caller module holds besides its
# trigger snippets (mean 1.9), and their kinds with weights. In 20 real files
# with a trigger: `websocket_manager` on 0.44 lines per KB (60 % of them
# attributes, parameters and keyword arguments, the rest module paths),
# `get_websocket_manager` on 0.36 (calls, half of them awaited, and
# imports), in 11 of the 20 files; the user's context is `user_context`.
WEBSOCKET_BLOCKS = [0, 0, 0, 1, 1, 2, 2, 3, 4, 6]
WEBSOCKET_KINDS = {"holder": 4, "wiring": 3, "canonical_local": 2, "canonical_top": 2}


def websocket_code(rng: random.Random, imports: set[str]) -> list[str]:
    """Blocks of the caller's own WebSocket code, none of them a finding nor
    holding a trigger string: classes that hold a `websocket_manager`,
    functions that pass one on, and calls of the canonical
    `get_websocket_manager` (imported in the function or at the top, as
    code the migration already reached writes it)."""
    blocks = []
    for index in range(rng.choice(WEBSOCKET_BLOCKS)):
        kind = pick(rng, WEBSOCKET_KINDS)
        name, verb, word = camel(rng), rng.choice(VERBS), rng.choice(WORDS)
        if kind == "holder":
            blocks.append(
                f"class {name}Notifier{index}:\n"
                f'    """Sends {word} events to one user.\n\n'
                f"    Args:\n"
                f"        websocket_manager: the user's manager (None in command-line tools).\n"
                f'    """\n\n'
                f"    def __init__(self, websocket_manager: Optional[\"WebSocketManager\"] = None, user_context: Any = None) -> None:\n"
                f"        self.websocket_manager = websocket_manager\n"
                f"        self.user_context = user_context\n\n"
                f"    async def {verb}_{word}(self, payload: Dict[str, Any]) -> bool:\n"
                f"        if self.websocket_manager is None:\n"
                f'            logger.debug("no websocket_manager for %s", self.user_context)\n'
                f"            return False\n"
                f'        await self.websocket_manager.send_to_user(self.user_context.user_id, {{"type": "{word}", **payload}})\n'
                f"        return True\n"
            )
        elif kind == "wiring":
            blocks.append(
                f"def wire_{word}_bridge_{index}(websocket_manager: Any, user_context: Any) -> Dict[str, Any]:\n"
                f'    """Hands the websocket_manager to the {word} bridge."""\n'
                f"    bridge = dict(websocket_manager=websocket_manager, user_context=user_context)\n"
                f'    logger.info("{word} bridge wired for %s", user_context.user_id)\n'
                f"    return bridge\n"
            )
        else:
            local = kind == "canonical_local"
            if not local:
                imports.add(f"from {CANONICAL} import get_websocket_manager")
            body = f"    from {CANONICAL} import get_websocket_manager\n\n" if local else ""
            blocks.append(
                f"async def {verb}_{word}_events_{index}(user_context: Any, event: Dict[str, Any]) -> None:\n"
                f"{body}"
                f"    websocket_manager = await get_websocket_manager(user_context)\n"
                f"    await websocket_manager.send_to_user(user_context.user_id, event)\n"
            )
    return blocks


def rng_doc(rng: random.Random) -> str:
    return f"{rng.choice(VERBS).capitalize()} {rng.choice(WORDS)} events for the {rng.choice(WORDS)} service."


# ------------------------------------------------------------ the workspace

DOMAINS = ["agents", "routes", "services", "db", "core", "tools", "schemas", "llm", "auth", "clients", "handlers", "workers", "analytics", "middleware"]
TEST_ROOTS = ["netra_backend/tests/unit", "netra_backend/tests/integration", "tests/e2e", "tests/mission_critical"]


def layout(rng: random.Random, files: int) -> list[tuple[str, bool]]:
    """(path, is_test) of every generated module, with folders of 5–40 files."""
    paths: list[tuple[str, bool]] = []
    folder_index = 0
    while len(paths) < files:
        folder_index += 1
        is_test = rng.random() < 0.25
        if is_test:
            folder = f"{rng.choice(TEST_ROOTS)}/{ident(rng, 1)}_{folder_index}"
        else:
            folder = f"netra_backend/app/{rng.choice(DOMAINS)}/{ident(rng, 1)}_{folder_index}"
        for n in range(rng.randint(5, 40)):
            stem = f"test_{ident(rng)}_{n}" if is_test else f"{ident(rng)}_{n}"
            paths.append((f"{folder}/{stem}.py", is_test))
    return paths[:files]


def package_inits(paths: list[str]) -> set[str]:
    """`__init__.py` of every folder between a generated file and the root."""
    inits = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            inits.add("/".join(parts[:depth]) + "/__init__.py")
    return inits


def build(out: Path, size: str, commit: str) -> dict:
    files, trigger_share, filler_bytes, trigger_bytes = SIZES[size]
    rng = random.Random(f"{SEED}-{size}")
    written: dict[str, str] = dict(fixed_modules(commit))
    fixed = len(written)
    generated = layout(rng, files - fixed)
    inits = package_inits([p for p, _ in generated]) - set(written)
    for init in sorted(inits):
        written[init] = ""
    budget = files - len(written)
    generated = generated[: max(0, budget)]
    kinds: Counter = Counter()
    heavy = []
    seen = {False: 0, True: 0}
    for index, (path, is_test) in enumerate(generated):
        local = random.Random(f"{SEED}-{size}-{index}")
        imports = random.Random(f"{SEED}-{size}-{index}-imports")
        if local.random() >= trigger_share:
            written[path] = filler_module(local, int(filler_bytes * local.uniform(0.3, 1.7)), imports, is_test)
            continue
        vocabulary = random.Random(f"{SEED}-{size}-{index}-websocket")
        trigger = TriggerFile(local, commit, is_test, imports, vocabulary)
        weights = TEST_KINDS if is_test else PRODUCTION_KINDS
        # The first trigger files of each side take every kind in turn (so a
        # small workspace has them all), and the sixth is one with dozens.
        seen[is_test] += 1
        roll = local.random()
        dozens = roll < 0.01 or seen[is_test] == 6
        count = local.randint(10, 16) if dozens else (1 if roll < 0.6 else 2 if roll < 0.9 else 3)
        if seen[is_test] <= len(weights):
            trigger.add(list(weights)[seen[is_test] - 1], r=0.0)
        for _ in range(count):
            trigger.add(pick(local, weights))
        if dozens:
            heavy.append(path)
        kinds.update(trigger.kinds)
        written[path] = trigger.render(int(trigger_bytes * local.uniform(0.5, 1.5)))
    if size == "small" and commit == "old":
        written.update(patched_bindings_test(written))
        written.update(commented_imports_module())
    if out.exists():
        shutil.rmtree(out)
    for rel, text in written.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return manifest(out, written, size, commit, kinds, heavy)


def patched_bindings_test(written: dict[str, str]) -> dict[str, str]:
    """A test that replaces the factory's function where two production
    modules look it up (each imports it at its top level, through a hub or
    not, and awaits every call: a fix would rename it): once by the dotted
    path, once on the module object. A fix that renamed the modules'
    binding would leave both patch targets missing (the semantic check's
    `patch-target`). Only in the small old tree: the benchmark corpus stays
    as it was measured."""
    bound = re.compile(r"^from \S+ import create_websocket_manager$", re.M)

    def renamed_by_a_fix(path: str, text: str) -> bool:
        calls = text.count("create_websocket_manager(")
        return (
            path.startswith("netra_backend/app/")
            and not path.startswith(f"{CORE.replace('.', '/')}/")
            and bound.search(text) is not None
            and calls > 0
            and calls == text.count("await create_websocket_manager(")
        )

    modules = [path for path, text in sorted(written.items()) if renamed_by_a_fix(path, text)][:2]
    if len(modules) < 2:
        return {}
    dotted = [path.removesuffix(".py").replace("/", ".") for path in modules]
    text = (
        '"""Tests that replace the factory function where the modules look it up."""\n'
        "from unittest.mock import AsyncMock, patch\n\n"
        f"import {dotted[1]} as looked_up\n\n\n"
        f'@patch("{dotted[0]}.create_websocket_manager", new_callable=AsyncMock)\n'
        "def test_patched_where_it_is_looked_up(mocked) -> None:\n"
        "    assert mocked.await_count == 0\n\n\n"
        "def test_patched_on_the_module() -> None:\n"
        '    with patch.object(looked_up, "create_websocket_manager", new=AsyncMock()) as mocked:\n'
        "        assert mocked.await_count == 0\n"
    )
    return {"netra_backend/tests/unit/test_patched_bindings.py": text}


def commented_imports_module() -> dict[str, str]:
    """A module whose shim imports carry the comments real code leaves on
    them: `# noqa: F401` after a one-name import below the canonical one,
    and names commented out by the dozen inside brackets (a run of comment
    lines long enough that the parse leaves it out). A fix must keep every
    comment (the semantic check's `comment-lost`; 468f311 dropped all 25).
    Only in the small old tree: the benchmark corpus stays as it was
    measured."""
    shim = f"{CORE}.manager"
    commented_out = "".join(f"    # LegacyHandler{index},  # dropped in the SSOT migration\n" for index in range(24))
    text = (
        '"""Re-exports kept for old callers while the WebSocket layer migrates."""\n'
        f"from {CORE}.websocket_manager import WebSocketManager\n"
        f"from {shim} import WebSocketConnection  # noqa: F401  (old callers import it from here)\n"
        f"from {shim} import (\n"
        f"{commented_out}"
        "    UnifiedWebSocketManager,\n"
        ")\n\n"
        '__all__ = ["WebSocketManager", "WebSocketConnection", "UnifiedWebSocketManager"]\n'
    )
    return {"netra_backend/app/services/legacy_reexports.py": text}


def manifest(out: Path, written: dict[str, str], size: str, commit: str, kinds: Counter, heavy: list[str]) -> dict:
    trigger_files = 0
    trigger_lines = 0
    by_trigger: Counter = Counter()
    for text in written.values():
        lines = [line for line in text.splitlines() if any(t in line for t in TRIGGERS)]
        trigger_files += bool(lines)
        trigger_lines += len(lines)
        for line in lines:
            by_trigger.update(f"T{n}" for n, t in enumerate(TRIGGERS, 1) if t in line)
    return {
        "generator": "bench/build_realistic.py",
        "seed": SEED,
        "size": size,
        "commit": commit,
        "files": len(written),
        "bytes": sum(len(t.encode()) for t in written.values()),
        "trigger_files": trigger_files,
        "trigger_lines": trigger_lines,
        # T1..T6: the trigger strings in the order of TRIGGERS (not spelled
        # out, so that no search for them meets this file).
        "trigger_lines_by_string": dict(sorted(by_trigger.items())),
        "snippets_by_kind": dict(sorted(kinds.items())),
        "files_with_dozens_of_mentions": heavy,
    }


def generator_identity() -> str:
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small", help="small: ~300 files for tests; bench: 10,000 files")
    parser.add_argument("--commit", choices=["old", "new"], default="old", help="which state of the canonical API (default old)")
    parser.add_argument("--out", type=Path, help="output folder (default: target/realistic/SIZE-COMMIT or target/bench/realistic-COMMIT)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the folder holds the same build")
    args = parser.parse_args()
    out = args.out or (DEFAULT_OUT[args.size] / (f"realistic-{args.commit}" if args.size == "bench" else f"{args.size}-{args.commit}"))
    out = out.resolve()
    stamp = out / "MANIFEST.json"
    identity = generator_identity()
    if stamp.exists() and not args.force:
        old = json.loads(stamp.read_text())
        if old.get("identity") == identity and old.get("size") == args.size and old.get("commit") == args.commit:
            print(out)
            return 0
    if out.exists() and any(out.iterdir()) and not stamp.exists():
        sys.exit(f"build_realistic: {out} is not empty and holds no MANIFEST.json: not replacing it")
    result = build(out, args.size, args.commit)
    result["identity"] = identity
    stamp.write_text(json.dumps(result, indent=1) + "\n")
    print(f"[build_realistic] {out}: {result['files']} files, {result['bytes'] / 1e6:.1f} MB, {result['trigger_files']} with a trigger, {result['trigger_lines']} trigger lines", file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
