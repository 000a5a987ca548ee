"""Replay of recordings into a channel (issue #11 item 4): dialog, progress bar, actions."""
