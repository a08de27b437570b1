"""What a person sees: text renderers (render/text, rich) and JSON builders (render/json, no rich);
both take model records and read no files."""
