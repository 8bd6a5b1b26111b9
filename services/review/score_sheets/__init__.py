"""Score sheets as versioned JSON data (a package only so the files ship with it)."""
