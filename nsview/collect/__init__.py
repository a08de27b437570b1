"""One orchestrator per command (tree, cgroup, diff, ps): reads through nsview.read, parses with
nsview.parse, and builds the records of nsview.model. See docs/design.md."""
