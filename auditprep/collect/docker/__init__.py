"""Docker evidence: daemons, containers, images (with package inventories), networks and swarms.

The only package that imports the ``docker`` SDK. ``collect_docker`` reads, never writes: it
lists and inspects, and streams image exports to read package databases; it never creates a
container, pulls, or changes a setting.

Evidence kinds (``Evidence.kind``), each with one scope-level record per host and one item per
object; ``data`` is the engine's own JSON with secrets removed (see ``redaction``):

* ``docker.daemon``: ``{"Info": /info, "Version": /version, "Connection": how we connected}``;
  resource = engine ID, name = engine Name.
* ``docker.network``: one ``/networks`` entry; resource = network ID.
* ``docker.container``: ``/containers/{id}/json``, every container whatever its state;
  ``Config.Env`` is a list of ``{"name", "secret_like"}``; resource = container ID.
* ``docker.image``: ``/images/{id}/json`` plus ``History`` (``/images/{id}/history``);
  resource = image ID (``sha256:...``).
* ``docker.image_inventory``: ``{"format", "image_id", "os": os-release fields or None,
  "package_managers", "packages": [{"manager", "name", "version", "source", "arch"}], "notes",
  "layers", "bytes_read"}``; resource = image ID.
* ``docker.swarm``: ``{"Cluster": swarm inspect without JoinTokens, "Node": this node's
  /info Swarm block, "Derived": {"TrustRootNotAfter"}}`` (managers only).
* ``docker.swarm_node``, ``docker.swarm_service``, ``docker.secret``: list entries (service
  env reduced to names; secrets are metadata only).

Scope: ``Scope(host=label)``, where label is the host URL, and for local sockets the URL
followed by this machine's host name in brackets (see ``hosts``).
"""

from auditprep.collect.docker.calls import KINDS
from auditprep.collect.docker.collector import collect_docker, unreachable_hosts
from auditprep.collect.docker.hosts import HostTarget, resolve_hosts
from auditprep.collect.docker.inventory import INVENTORY_FORMAT

__all__ = ["INVENTORY_FORMAT", "KINDS", "HostTarget", "collect_docker", "resolve_hosts", "unreachable_hosts"]
