"""Reports into human text, JSON and shell exports. Renderers format; they never compute."""
