"""Channel tabs: the tab widget (live and imported tabs), a tab's panel, the read-only imported tabs, the join dialog and the wiring of a live tab."""
