"""Writes of the accounts app, one module per concern (login, pin, sessions, personal)."""
