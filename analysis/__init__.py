"""Analysis steps over the store: cleaning, themes, engagement, topics, quality."""
