"""The organisation tree: one ``org_node`` table, kinds in a registry plugins extend."""
