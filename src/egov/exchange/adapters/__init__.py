"""Adapters to the outside: the HTTP transport to other instances (and an in-memory fake for tests)."""
