"""Tenants (districts): the platform-level table and the current-tenant context."""
