"""Benchmarks: each module here that defines ``run()`` is one; ``python -m bench`` runs them all."""
