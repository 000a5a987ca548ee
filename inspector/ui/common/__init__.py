"""Widgets, models and helpers several features share: theme colours, icons, the ring-log table model and its Pause/Clear controls, the payload text editor."""
