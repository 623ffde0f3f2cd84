"""Each desk's morning view: what the desk has to do today, read in one place for its home page."""
