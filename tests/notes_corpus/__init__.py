"""The identifier check's labelled corpus and its scorer (see README.md here)."""
