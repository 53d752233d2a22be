"""The plugin host: discovery, per-tenant enablement, gating and hook calls."""
