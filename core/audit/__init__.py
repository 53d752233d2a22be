"""The audit log: every write, unmask and login, readable by the audit administrator."""
