"""The relay baseline: the original design's consumer on the same server and channel layer."""
