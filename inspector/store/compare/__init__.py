"""The compare view's marks (issue #13 §3); pure."""
