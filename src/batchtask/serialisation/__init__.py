"""Wire shapes: the BatchTaskInfo carrier, JSON and XML bodies, date text."""
