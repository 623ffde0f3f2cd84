"""Demo data: the shared builder of realistic files, and the loader of the demo data set."""
