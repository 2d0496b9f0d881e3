"""Loans and their schedules (built in the loans issue)."""
