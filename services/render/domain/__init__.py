"""Render's pure rules: table templates, cell formats, computed rates."""
