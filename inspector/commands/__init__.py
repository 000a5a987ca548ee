"""Headless subcommands of the CLI (part of the cli layer; never imported by lower layers)."""
