"""Runnable examples for integrators (see docs/integrators.md)."""
