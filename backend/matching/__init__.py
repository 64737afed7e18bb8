"""Glass-box matching of people to opportunities: the pure engine, its precompute and its API."""
