"""One tab's presence: roster, timeline and our own tracking."""
