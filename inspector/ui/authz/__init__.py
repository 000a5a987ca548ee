"""The Authorization panel: the authorization matrix in the window (issue #13 §4)."""
