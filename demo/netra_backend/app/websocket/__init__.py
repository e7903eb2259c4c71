"""Legacy WebSocket package (pre-SSOT)."""
