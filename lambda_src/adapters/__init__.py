"""Provider adapters, one file per provider family; they arrive with the chat completions handler."""
