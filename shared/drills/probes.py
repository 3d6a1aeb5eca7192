"""The drill probes beyond the platform checks: an HTTP endpoint on the VM's private IP, and a
Run Command whose output must match.

Pure parts (the URL template, the target URL of one VM, the verdict on a Run Command's
`value[]`) are separate from the one network call of the http probe (`http_get`): the app's
own request to the drill VM, through the drill network the Function App reaches by VNet
integration. The host is always the VM's private IP read from its NIC, never a host a setting
names (no SSRF); no credentials, cookies or proxies are sent, and redirects are not followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shared.errors import InvalidInput

IP = "{ip}"
_NETLOC = re.compile(r"\{ip\}(:[0-9]{1,5})?")
EVIDENCE_CHARS = 300
"""Longest command output kept in a VM's evidence (the rest is cut, marked with …)."""


@dataclass(frozen=True)
class ProbeResult:
    """Whether the probe passed, and its evidence line."""

    ok: bool
    evidence: str


def check_url_template(template: str) -> str:
    """Return the http probe's URL template; raise InvalidInput("probe.url") when it is not
    an http(s) URL whose host is exactly `{ip}`, without credentials, query or fragment."""
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("probe.url", "expected an http:// or https:// URL")
    if "@" in parts.netloc:
        raise InvalidInput("probe.url", "must carry no credentials")
    if parts.query or parts.fragment:
        raise InvalidInput("probe.url", "must carry no query or fragment (no keys in URLs)")
    if not _NETLOC.fullmatch(parts.netloc) or IP in parts.path:
        raise InvalidInput("probe.url", f"the host must be {IP} (the drill VM's private IP)")
    return template


def target_url(template: str, ip: str) -> str:
    """The URL probed on a VM whose private IP is `ip`; InvalidInput when `ip` is not a
    private IPv4 address or the URL would reach another host."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        raise InvalidInput("probe.ip", f"{ip!r} is not an IP address") from None
    if address.version != 4 or not address.is_private or address.is_link_local:
        # Link-local (169.254.0.0/16) is the platform's own (instance metadata), never a VM's.
        raise InvalidInput("probe.ip", f"{ip} is not a private IPv4 address of a VM")
    url = check_url_template(template).replace(IP, str(address))
    if urlsplit(url).hostname != str(address):
        raise InvalidInput("probe.url", f"{url} does not reach {address}")
    return url


def http_get(url: str, timeout: float) -> ProbeResult:
    """GET `url` once (no redirects, no credentials): a 2xx within `timeout` passes."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    path = parts.path or "/"
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    began = time.monotonic()
    try:
        connection.request("GET", path, headers={"User-Agent": "lifeboat-drill-probe"})
        response = connection.getresponse()
        response.read(4096)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        why = str(exc) or type(exc).__name__
        return ProbeResult(False, f"GET {url}: {type(exc).__name__}: {why}"[:EVIDENCE_CHARS])
    finally:
        connection.close()
    millis = int((time.monotonic() - began) * 1000)
    return ProbeResult(200 <= status < 300, f"GET {url}: HTTP {status} in {millis} ms")


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1] + "…"


_LINUX = re.compile(r"\[stdout\]\n(?P<out>.*?)\n?\[stderr\]\n?(?P<err>.*)\Z", re.DOTALL)


def command_output(value: Sequence[Mapping[str, Any]]) -> tuple[bool, str, str]:
    """Return (failed, stdout, stderr) of a Run Command's `value[]`.

    Windows (`RunPowerShellScript`) answers `ComponentStatus/StdOut/succeeded` and
    `ComponentStatus/StdErr/succeeded`; Linux (`RunShellScript`) one `ProvisioningState/...`
    status whose message is `Enable succeeded: \\n[stdout]\\n...\\n[stderr]\\n...` (`Enable
    failed: ... exit status=N` when the script failed). A status code with `/failed` fails.
    """
    failed, out, err = False, [], []
    for status in value:
        code = str(status.get("code") or "")
        message = str(status.get("message") or "")
        lowered = code.lower()
        failed = failed or "/failed" in lowered or message.startswith("Enable failed")
        if lowered.startswith("componentstatus/stdout"):
            out.append(message)
        elif lowered.startswith("componentstatus/stderr"):
            err.append(message)
        else:
            found = _LINUX.search(message)
            if found:
                out.append(found["out"])
                err.append(found["err"])
            elif failed and message:
                err.append(message)
    return failed, "\n".join(out), "\n".join(err)


def judge_command(command_id: str, value: Sequence[Mapping[str, Any]], expect: str) -> ProbeResult:
    """The run-command probe's verdict: the command did not fail and its stdout matches
    `expect` (a regex, searched; empty: any output)."""
    failed, out, err = command_output(value)
    if not value:
        return ProbeResult(False, f"{command_id}: no output reported")
    matched = not expect or re.search(expect, out, re.MULTILINE) is not None
    evidence = f"{command_id}: {'failed' if failed else 'succeeded'}; stdout {_cut(out)!r}"
    if err.strip():
        evidence += f"; stderr {_cut(err)!r}"
    if expect:
        evidence += f"; {'matches' if matched else 'does not match'} {expect!r}"
    return ProbeResult(not failed and matched, evidence)
