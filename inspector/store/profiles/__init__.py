"""Connection profiles (no secrets) and preferences shared by the GUI and the CLI."""
