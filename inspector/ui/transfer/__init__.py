"""Export and import: the File menu's NDJSON/CSV actions and the sliced job with progress and Cancel."""
