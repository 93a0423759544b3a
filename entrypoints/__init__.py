"""The entry points: the `liudong` command, each command's entry point, the worker, the demo."""
