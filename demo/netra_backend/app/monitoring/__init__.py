"""Monitoring package."""
