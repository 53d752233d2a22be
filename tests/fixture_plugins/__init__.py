"""Plugins used only by the tests, registered in process (tests/conftest.py)."""
