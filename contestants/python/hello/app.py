"""The Python hello contestant of the cold-start war: returns the event unchanged."""


def handler(event, context):
    return event
