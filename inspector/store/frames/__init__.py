"""The Frames view's data: raw websocket frames, their bounded log, and annotated hex."""
