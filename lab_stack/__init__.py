"""The machinery that runs the DataFlow Lab: its services, supervisord, the workshop, backups, the `lab` command.

One module per service (`services/`) knows how to start it and prove it healthy;
`stack` brings them up and down under `supervisor`; `workshop` keeps a room's accounts;
`backup` exports and imports a lab; `cli` is the `lab` command. Notebooks never import
this package: what they use is `lab_utils`.
"""
