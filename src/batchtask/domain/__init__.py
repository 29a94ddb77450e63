"""The pure core: task model, state machine, users, rights and errors. No I/O, no wire formats."""
