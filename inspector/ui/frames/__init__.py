"""The Frames view: the frame tap into the connection's FrameLog, its models, the panel and the dock."""
