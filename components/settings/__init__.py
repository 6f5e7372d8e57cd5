"""Typed stack settings by area; ``components.config`` composes them into OrgConfig and EnvConfig."""
