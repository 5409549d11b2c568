"""Traject: Dutch municipal civic-integration trajectories as configurable, durable state machines."""
