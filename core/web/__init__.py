"""The web layer: app factory, middleware, dependencies, error rendering, health."""
