"""Event contracts of liudong: pure pydantic v2 models, no I/O.

Every event is an envelope subclass discriminated by ``event_type``; each topic carries one
discriminated union of them (see :mod:`contracts.unions`).
"""
