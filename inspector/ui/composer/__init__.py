"""The composer of a live tab: event and payload (JSON or bytes), transport, and the send history."""
