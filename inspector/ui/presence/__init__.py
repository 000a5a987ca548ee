"""Presence on a channel: the roster model and the panel (listen, track, untrack, timeline)."""
