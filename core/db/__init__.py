"""Database layer: declarative base, tenant mixin, engines and tenant-bound sessions."""
