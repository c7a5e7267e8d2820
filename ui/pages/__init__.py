"""The app's pages: one per workflow, each turning keys into calls on a desk."""
