"""Check drafts from the rows of a tab (issue #12 §4); pure."""
