"""The message library in the window: the Library dock and the Save to library dialog."""
