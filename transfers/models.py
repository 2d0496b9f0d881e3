"""Transfers: the three wizards' records (built in the transfers issue)."""
