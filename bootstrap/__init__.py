"""The composition root: settings, clients and services, built once for every entry point."""
