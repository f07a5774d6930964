"""What the outbound guard lets through: schemes, host names, addresses and the operator's allow-list.

Every function here is pure except `target_resolve`, which does the one DNS lookup of a hop.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .exceptions import OutboundBlocked, OutboundConnectionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}

# Names refused before any lookup, whatever they resolve to. The address check is the real protection;
# this list only covers names that a resolver, /etc/hosts or a search domain may answer for locally.
# Kept deliberately small: extend it only with names that are never a legitimate public target.
DENIED_NAMES = frozenset({"localhost", "metadata", "metadata.google.internal"})
DENIED_SUFFIXES = (".localhost",)

# Ranges refused on top of `not is_global`. Several are already non-global in recent Pythons; they are
# listed so the policy does not change with the interpreter's copy of the IANA registries.
_FORBIDDEN_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "100.64.0.0/10",  # carrier-grade NAT: routes to neighbours inside a provider
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): translates into the operator's own network
        "2001::/32",  # Teredo: the embedded client address is obfuscated, cannot be vetted
        "2002::/16",  # 6to4: deprecated relays, never synthesised by a resolver for a public name
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # segment-routing SIDs
        "fc00::/7",  # unique-local
        "fec0::/10",  # site-local (deprecated but still routed by some stacks)
    )
)
# DNS64 resolvers on IPv6-only networks answer these for ordinary IPv4 hosts, so the embedded IPv4
# address decides rather than the prefix.
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")

# Spellings that inet_aton accepts (2130706433, 0x7f.1, 0177.0.0.1) but ipaddress does not.
_LEGACY_IPV4 = re.compile(r"[0-9a-fx.]+")


@dataclass(frozen=True)
class Target:
    """One hop's destination after the static checks."""

    scheme: str
    host: str  # lower-case, no brackets, no trailing dot; IDNA-encoded by requests
    port: int  # explicit or the scheme's default
    allow_listed: bool

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def host_normalise(host: str) -> str:
    return host.strip("[]").lower().rstrip(".")


def address_is_forbidden(ip: IPAddress) -> bool:
    """True when `ip` is anything but a plain public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            # A dual-stack socket would reach the IPv4 host; public DNS never answers this form.
            return True
        if ip in _NAT64_WELL_KNOWN:
            return address_is_forbidden(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.is_site_local:
            return True
    if any(ip in net for net in _FORBIDDEN_NETWORKS if net.version == ip.version):
        return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast  # 224.0.0.0/4 counts as global for Python
        or ip.is_reserved
        or ip.is_unspecified
    )


def ip_literal(host: str) -> IPAddress | None:
    """The address `host` spells without any DNS lookup, or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _allow_list() -> list[tuple[str, int | None]]:
    entries = []
    for raw in getattr(settings, "OUTBOUND_ALLOWED_HOSTS", []):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry.startswith("["):  # [v6] or [v6]:port
            host, _, rest = entry[1:].partition("]")
            port_text = rest[1:] if rest.startswith(":") else None
        elif entry.count(":") == 1:
            host, _, port_text = entry.partition(":")
        else:  # a name, IPv4, or bare IPv6
            host, port_text = entry, None
        try:
            port = int(port_text) if port_text else None
        except ValueError as exc:
            raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_HOSTS entry {raw!r} has an invalid port.") from exc
        entries.append((host_normalise(host), port))
    return entries


def is_allow_listed(host: str, port: int) -> bool:
    return any(host == allowed_host and allowed_port in (None, port) for allowed_host, allowed_port in _allow_list())


def url_precheck(url: str) -> None:
    """Checks done on the URL as the caller wrote it, before requests normalises it.

    requests silently drops an empty userinfo and a port 0; refusing them here keeps the rule simple.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise OutboundBlocked("The URL is not valid.") from exc
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise OutboundBlocked("Only http and https URLs are allowed.")
    if "@" in parts.netloc:
        raise OutboundBlocked("URLs with a user name or password are not allowed.")
    if port == 0:
        raise OutboundBlocked("The URL's port is not valid.")


def target_parse(url: str) -> Target:
    """Parse a URL that requests has prepared, exactly as requests' adapter will parse it (urlsplit).

    Raises OutboundBlocked for a scheme other than http/https, userinfo, a missing host or a bad port.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundBlocked("The URL is not valid.") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise OutboundBlocked("Only http and https URLs are allowed.")
    if "@" in parts.netloc:
        raise OutboundBlocked("URLs with a user name or password are not allowed.")
    host = host_normalise(parts.hostname or "")
    if not host:
        raise OutboundBlocked("The URL has no host.")
    if port == 0:
        raise OutboundBlocked("The URL's port is not valid.")
    port = port or DEFAULT_PORTS[scheme]
    return Target(scheme=scheme, host=host, port=port, allow_listed=is_allow_listed(host, port))


def target_check_static(target: Target) -> None:
    """Name deny list and, for an IP literal, the address check. No DNS. Raises OutboundBlocked."""
    if target.allow_listed:
        return
    if target.host in DENIED_NAMES or target.host.endswith(DENIED_SUFFIXES):
        raise OutboundBlocked("This host name is not allowed.")
    literal = ip_literal(target.host)
    if literal is not None and address_is_forbidden(literal):
        raise OutboundBlocked("Requests to private, local or reserved addresses are not allowed.")


def target_resolve(target: Target) -> str:
    """Resolve the hop's host once and return the address to connect to.

    Every answer is checked, not only the one used, so a name that mixes public and private answers is
    refused. Raises OutboundBlocked for a forbidden answer, OutboundConnectionError when nothing resolves.
    """
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundConnectionError("Could not resolve the host name.") from exc
    families = (socket.AF_INET, socket.AF_INET6)
    addresses = [ipaddress.ip_address(sockaddr[0]) for family, *_, sockaddr in infos if family in families]
    if not addresses:
        raise OutboundConnectionError("Could not resolve the host name.")
    if not target.allow_listed and any(address_is_forbidden(address) for address in addresses):
        raise OutboundBlocked("The host resolves to a private, local or reserved address.")
    return str(addresses[0])
