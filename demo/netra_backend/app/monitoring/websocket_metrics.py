"""WebSocket metrics (SSOT home of ManagerMetrics and FactoryMetrics)."""
from dataclasses import dataclass


@dataclass
class ManagerMetrics:
    user_id: str = ""
    connections: int = 0
    messages_sent: int = 0


@dataclass
class FactoryMetrics:
    managers_created: int = 0
    managers_cleaned_up: int = 0
