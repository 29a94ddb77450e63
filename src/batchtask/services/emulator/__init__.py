"""The emulator's per-tenant state (SPEC §11.2): clock, faults, request journal and scripts.

Only a server started with ``serve --emulator`` builds it. Everything is kept in the memory of the
one API process (``--emulator`` refuses ``--workers N``): these are test controls, forgotten
on restart, and every piece is per tenant so parallel tests never see each other's.
"""
