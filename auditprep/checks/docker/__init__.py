"""Docker checks: one module per subject (daemon, containers, mounts, operations, images, swarm).

Importing the modules registers their checks. They read only evidence ``data`` (the engine's
inspect JSON as stored by ``auditprep.collect.docker``) and never import the Docker SDK.
"""
