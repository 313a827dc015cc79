"""The REST routes under ``/beaker/api`` and their OpenAPI description."""
