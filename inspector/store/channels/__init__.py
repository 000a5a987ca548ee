"""A tab's channel: join options, join and connection states, and its send history."""
