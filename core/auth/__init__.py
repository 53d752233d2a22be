"""Users, roles held at org nodes (valid for the subtree), sessions and the scope guard."""
