"""The HTTP edge: routing, authentication headers, negotiation, errors. The only framework user."""
