"""Model -> what a person sees (rich renderables) and model -> JSON-able dicts. No file I/O."""
