"""People's accounts for the console: passwords, login throttling, sessions."""
