"""The simulator: deterministic migration scenarios over real county codes, published signed.

``scenario`` generates (pure), ``geography`` says where people come from and go to,
``publisher`` sends the events through county nodes.
"""
