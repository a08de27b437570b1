"""Text renderers: model records in, rich renderables out. Every string from a process or a
container goes through ``nsview.render.sanitize`` first (docs/hardening.md, rule 1)."""
