"""Traject's HTTP API (FastAPI)."""
