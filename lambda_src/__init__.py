"""The inference API's Lambda package.

Pydantic plugins are off unless the environment says otherwise: looking for them reads the
metadata of every installed distribution (about 16 ms of a cold start), and no plugin has any
business in this app's request validation.
"""

import os

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
