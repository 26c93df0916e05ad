"""Infrastructure constructs and the deployment-config schema.

Importing this package (or ``modules.config``) must stay cheap: only the construct modules
import the cdktf AWS bindings.
"""
