"""Faust agents, each thin over the pure decision functions that live beside it."""
