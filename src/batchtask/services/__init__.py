"""Use cases: what the API, CLI and workers ask of the domain, expressed over the ports."""
