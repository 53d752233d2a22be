"""Jobs through a transactional outbox, run by the embedded worker (dramatiq relay to come)."""
