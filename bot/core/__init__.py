"""The channel-neutral core: messages, the flow engine, the dispatcher."""
