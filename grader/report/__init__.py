"""Renderers: reports in, text out. Rendering never runs anything."""
