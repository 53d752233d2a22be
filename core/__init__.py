"""Quanyu core: tenants, organisation tree, people, auth, audit and the plugin host."""
