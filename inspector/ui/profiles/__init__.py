"""Connection profiles: the list model, the Profiles dialog and the secret store (keychain)."""
