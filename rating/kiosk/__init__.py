"""Service-window kiosks: registration, officer sign-in, ratings with an offline queue."""
