"""The pure Supabase Realtime protocol core: frames, serializers, state machines (no I/O, no clock).

See docs/realtime-protocol.md (the spec) and docs/architecture.md (the layering).
"""
