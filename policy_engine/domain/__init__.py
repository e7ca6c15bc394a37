"""Domain model: snapshot, features' inputs and decisions. Imports only the standard library and pydantic."""
