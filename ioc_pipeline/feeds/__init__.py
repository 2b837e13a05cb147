"""Sector data feeds declared by configuration (issue 13, item 4): one YAML file a feed, no new code.

- `spec`: the YAML format (a pydantic model), reading a folder of declarations with clear errors;
- `read`: fetching a feed's records (HTTP JSON/CSV or a file-drop folder);
- `load`: one feed run: declarations to `raw.sector_feed_declaration`, records through the project's
  raw loader into `raw.sector_feed_record`, then the generated expectations on the batch.

The format is documented in docs/contracts/sources.md ("Sector data feeds").
"""
