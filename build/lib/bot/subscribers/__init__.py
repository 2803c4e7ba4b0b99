"""Subscribers: the subscriber store, consent, and parsing times and time zones."""
