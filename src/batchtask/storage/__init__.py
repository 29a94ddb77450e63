"""Adapters for the storage ports: SQLite and PostgreSQL. The only package that knows SQL drivers."""
