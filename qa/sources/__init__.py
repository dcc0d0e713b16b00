"""Where articles come from besides local files (`web`: pages, feeds and sitemaps by URL)."""
