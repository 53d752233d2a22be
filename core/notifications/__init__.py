"""In-app notifications: what plugins tell users, and each user's inbox."""
