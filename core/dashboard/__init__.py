"""The district dashboard: figures of the core and of every enabled plugin for an org subtree."""
