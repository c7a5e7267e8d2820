"""One reported item on screen: header, veiled media and video, context."""
