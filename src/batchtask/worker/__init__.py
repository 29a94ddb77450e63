"""The batch task runtime: definitions, claiming, execution, heartbeats, stop and recovery."""
