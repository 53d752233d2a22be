"""People: one record per human per district, with encrypted identity fields."""
