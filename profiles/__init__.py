"""The built-in size profiles and their JSON Schema, shipped as package data (runai_postrender.builtin_profiles)."""
