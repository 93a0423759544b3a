"""Topics, the codec, the county-node client, the Faust app and the operator CLI."""
