"""The Checks panel and check drafts (issue #12 §4)."""
