"""A channel's messages: the table model, view and filter proxy, the detail pane and its payload views (text, hex, JSON tree)."""
