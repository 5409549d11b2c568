"""Traject's SQL store: the only place personal data lives, and the read model activities write."""
