"""Follow-up cases of bad ratings: state machine, audit, deadlines, retention, webhook."""
