"""Netra backend (demo tree for ssot-lsp)."""
