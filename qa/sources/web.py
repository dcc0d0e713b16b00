"""Articles by URL: one web page, an RSS/Atom/JSON feed or a sitemap, fetched politely and safely.

Fetching is ours (httpx); reading is trafilatura's: its feed reader (`trafilatura.feeds.find_links`)
and sitemap reader (`trafilatura.sitemaps.SitemapObject`) list the links, its extractor (in
qa.decode, as for .html files) finds the article text. Why not `trafilatura.fetch_url`: see the
README, "Web sources".

Every request:
- http(s) only; the host is resolved and every address checked: loopback, private, link-local,
  shared, multicast and reserved addresses are refused unless QA_FETCH_ALLOW_PRIVATE=1 or the host
  is in QA_FETCH_ALLOW_HOSTS; the connection goes to the checked address (no second look-up that
  DNS rebinding could answer differently); again at every redirect hop, at most
  QA_FETCH_MAX_REDIRECTS of them;
- the host's robots.txt is obeyed (urllib.robotparser), for the user-agent token "hoi-dap";
- one request per host every QA_FETCH_DELAY seconds (or the robots.txt Crawl-delay, up to 60 s);
- the whole response within QA_FETCH_TIMEOUT seconds, at most QA_FETCH_MAX_MB read (decompressed);
- a page fetched before is asked for with If-None-Match / If-Modified-Since: 304 means unchanged.
"""

from __future__ import annotations

import codecs
import ipaddress
import logging
import re
import socket
import time
import zlib
from dataclasses import dataclass, replace
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from .. import __version__
from ..config import Settings
from ..errors import InputError
from ..records import Article

log = logging.getLogger(__name__)

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
ROBOTS_AGENT = "hoi-dap"  # the product token robots.txt rules name
MAX_CRAWL_DELAY = 60.0  # a robots.txt Crawl-delay is obeyed up to this many seconds
MAX_ROBOTS_BYTES = 512 * 1024  # read of a robots.txt (as Google: the rest is ignored)
SILENT_TIMEOUTS = 2  # requests to one host that time out before its other pages are refused unasked
MAX_SITEMAPS = 50  # sitemaps read for one argument (an index of sitemaps, of sitemaps…)
_REDIRECTS = (301, 302, 303, 307, 308)
_SITEMAP = re.compile(rb"<(?:[\w.-]+:)?(?:urlset|sitemapindex)\b")
_FEED = re.compile(rb"<(?:[\w.-]+:)?(?:rss|feed|RDF)\b")
_TEXT_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
}
STATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS web_pages (url TEXT PRIMARY KEY, article_id TEXT NOT NULL, "
    "etag TEXT, last_modified TEXT, fetched REAL NOT NULL)"
)


def is_url(arg: object) -> bool:
    """Whether an ingest argument is a URL (any `scheme://`, so that file:// or ftp:// is refused as
    a URL rather than looked up as a file name)."""
    return isinstance(arg, str) and bool(_SCHEME.match(arg.strip()))


def safe_link(url: object) -> str | None:
    """The URL if a page may link to it: http(s) with a host, no spaces or control characters."""
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def user_agent(settings: Settings) -> str:
    contact = settings.fetch_contact.strip()
    return f"hoi-dap/{__version__} (+{contact})" if contact else f"hoi-dap/{__version__}"


def shown(url: str) -> str:
    """A URL as a refusal names it (long ones shortened)."""
    return url if len(url) <= 200 else url[:199] + "…"


class FetchError(InputError):
    """A URL that could not be fetched; `status` is the HTTP status when the server gave one."""

    def __init__(self, message: str, vi: str, status: int | None = None):
        super().__init__(message, vi)
        self.status = status


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 (not modified since the ETag / date sent)
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Entry:
    """A page to ingest: its URL as given or listed (the index's key for it), and its response when
    it was already fetched (an argument that turned out to be a page)."""

    url: str
    response: Response | None = None


@dataclass(frozen=True)
class Known:
    """What the index holds of a page fetched before."""

    article_id: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Notice:
    """Something a user should know that is not a refusal (a feed capped for this run)."""

    source: str
    text: str
    vi: str


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, link-local, shared,
    multicast, reserved or unspecified; an IPv4 address inside IPv6 is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None:
            ip = inner
    return ip.is_global and not ip.is_multicast


def _checked(url: str) -> tuple:
    """urlsplit of an http(s) URL with a host, or FetchError."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise FetchError(f"{shown(url)}: not a valid URL.", f"{shown(url)}: địa chỉ không hợp lệ.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(
            f"{shown(url)}: only http:// and https:// URLs are fetched ({scheme}:// is refused).",
            f"{shown(url)}: chỉ nhận địa chỉ http:// hoặc https://.",
        )
    if not parts.hostname:
        raise FetchError(f"{shown(url)}: the URL names no host.", f"{shown(url)}: địa chỉ thiếu tên máy chủ.")
    if parts.username is not None or parts.password is not None:
        raise FetchError(
            f"{shown(url)}: a URL with a user name or password is not fetched.",
            f"{shown(url)}: không nhận địa chỉ có kèm tên đăng nhập hoặc mật khẩu.",
        )
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise FetchError(
            f"{shown(url)}: the URL contains spaces or control characters.",
            f"{shown(url)}: địa chỉ chứa khoảng trắng hoặc ký tự điều khiển.",
        )
    return parts


class Fetcher:
    """GET with the checks of the module docstring. One per ingest; not shared between threads."""

    def __init__(self, settings: Settings):
        import httpx

        self.settings = settings
        self.allowed_hosts = {h.strip().lower() for h in settings.fetch_allow_hosts.split(",") if h.strip()}
        # No keep-alive: a pooled connection is keyed by the address, and two sites on one address
        # must not share a TLS connection verified for one of them. No proxies from the environment:
        # the address checked must be the address connected to.
        self._client = httpx.Client(
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(settings.fetch_timeout),
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": user_agent(settings), "Accept-Encoding": "gzip, deflate"},
        )
        self._robots: dict[str, RobotFileParser | FetchError] = {}  # per site; the refusal if unreadable
        self._last: dict[str, float] = {}
        self._silent: dict[str, int] = {}  # per host: requests this run that got no answer in time
        self.requests = 0

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        truncate: bool = False,
        robots: bool = True,
    ) -> Response:
        """The response to GET url after redirects (200, or 304 when etag/last_modified are given and
        the page is unchanged); FetchError with one sentence otherwise."""
        limit = max_bytes or int(self.settings.fetch_max_mb * 1024 * 1024)
        extra = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        at = url.strip()
        for _ in range(self.settings.fetch_max_redirects + 1):
            parts = _checked(at)
            addresses = self._addresses(at, parts)
            self._refuse_silent_host(at, parts)
            if robots:
                self._obey_robots(at, parts)
            self._wait_turn(parts)
            response, location = self._request(at, parts, addresses, extra, limit, truncate)
            if location is None:
                return response
            at = urljoin(at, location).split("#", 1)[0]
        n = self.settings.fetch_max_redirects
        raise FetchError(
            f"{shown(url)}: redirects more than {n} times (QA_FETCH_MAX_REDIRECTS), perhaps in a loop.",
            f"{shown(url)}: chuyển hướng quá {n} lần (có thể lặp vô tận).",
        )

    def _refuse_silent_host(self, url: str, parts) -> None:
        """A host that let SILENT_TIMEOUTS requests time out this run gets no more (a feed of 200
        pages on a dead server would otherwise take 200 timeouts)."""
        host = parts.hostname.lower()
        if self._silent.get(host, 0) >= SILENT_TIMEOUTS:
            raise FetchError(
                f"{shown(url)}: not fetched, {host} did not answer {SILENT_TIMEOUTS} times in this run.",
                f"{shown(url)}: không tải vì máy chủ {host} đã không trả lời {SILENT_TIMEOUTS} lần.",
            )

    def _private_allowed(self, parts) -> bool:
        if self.settings.fetch_allow_private:
            return True
        host = parts.hostname.lower()
        return host in self.allowed_hosts or (parts.port is not None and f"{host}:{parts.port}" in self.allowed_hosts)

    def _addresses(self, url: str, parts) -> list[str]:
        """The addresses to connect to, in the resolver's order, every one of them checked."""
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        try:
            infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise FetchError(
                f"{shown(url)}: the host {parts.hostname} could not be found.",
                f"{shown(url)}: không tìm thấy máy chủ {parts.hostname}.",
            ) from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not self._private_allowed(parts):
            blocked = [a for a in addresses if not is_public(a)]
            if blocked:
                log.info("fetch refused: %s resolves to %s", parts.hostname, blocked[0])
                where = (
                    f"{parts.hostname} is" if parts.hostname == blocked[0] else f"{parts.hostname} is at {blocked[0]},"
                )
                raise FetchError(
                    f"{shown(url)}: {where} a loopback, private or link-local "
                    "address, which is not fetched unless QA_FETCH_ALLOW_PRIVATE=1 (or QA_FETCH_ALLOW_HOSTS names it).",
                    f"{shown(url)}: máy chủ {parts.hostname} có địa chỉ nội bộ ({blocked[0]}); quản trị viên cần "
                    "cho phép bằng QA_FETCH_ALLOW_PRIVATE=1 hoặc QA_FETCH_ALLOW_HOSTS.",
                )
        return addresses

    def _obey_robots(self, url: str, parts) -> None:
        root = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        rules = self._robots.get(root)
        if rules is None:
            try:
                rules = self._robots[root] = self._read_robots(url, root)
            except FetchError as exc:
                rules = self._robots[root] = exc
        if isinstance(rules, FetchError):  # once per site and run, not once per page
            raise FetchError(f"{shown(url)}: {str(rules).split(': ', 1)[1]}", rules.vi, rules.status)
        if not rules.can_fetch(ROBOTS_AGENT, url):
            raise FetchError(
                f"{shown(url)}: the site's robots.txt does not allow fetching this page.",
                f"{shown(url)}: tệp robots.txt của trang web không cho phép tải trang này.",
            )

    def _read_robots(self, url: str, root: str) -> RobotFileParser:
        """The rules of root/robots.txt (RFC 9309: 4xx means no rules, 401/403 and failures to read
        mean nothing may be fetched)."""
        rules = RobotFileParser(root + "/robots.txt")
        try:
            r = self.get(root + "/robots.txt", max_bytes=MAX_ROBOTS_BYTES, truncate=True, robots=False)
        except FetchError as exc:
            if exc.status in (401, 403):
                rules.disallow_all = True
            elif exc.status is not None and 400 <= exc.status < 500:
                rules.allow_all = True
            else:
                raise FetchError(
                    f"{shown(url)}: the site's robots.txt could not be read ({exc}), so the site is not fetched.",
                    f"{shown(url)}: không đọc được robots.txt của trang web; không tải trang. ({exc.vi})",
                    exc.status,
                ) from None
            return rules
        rules.parse(r.body.decode("utf-8", "replace").splitlines())
        return rules

    def _wait_turn(self, parts) -> None:
        """Sleep until this host may get its next request."""
        delay = self.settings.fetch_delay
        rules = self._robots.get(f"{parts.scheme.lower()}://{parts.netloc.lower()}")
        asked = rules.crawl_delay(ROBOTS_AGENT) if isinstance(rules, RobotFileParser) else None
        if asked:
            delay = max(delay, min(float(asked), MAX_CRAWL_DELAY))
        host = parts.hostname.lower()
        last = self._last.get(host)
        if last is not None and last + delay > time.monotonic():
            time.sleep(last + delay - time.monotonic())
        self._last[host] = time.monotonic()

    def _request(
        self, url: str, parts, addresses: list[str], extra: dict, limit: int, truncate: bool
    ) -> tuple[Response | None, str | None]:
        """One request to a checked address (the next one if it cannot be connected to): (response,
        None), or (None, the redirect's Location)."""
        import httpx

        timeout = self.settings.fetch_timeout
        deadline = time.monotonic() + timeout
        self.requests += 1
        try:
            resp = self._send(parts, addresses, extra)
            try:
                status = resp.status_code
                if status in _REDIRECTS:
                    location = resp.headers.get("location", "").strip()
                    if not location:
                        raise FetchError(
                            f"{shown(url)}: the server redirects without saying where.",
                            f"{shown(url)}: máy chủ chuyển hướng nhưng không cho biết tới đâu.",
                            status,
                        )
                    return None, location
                headers = resp.headers
                if status == 304 and extra:
                    return Response(url, 304, "", b"", headers.get("etag"), headers.get("last-modified")), None
                if status != 200:
                    reason = resp.reason_phrase or "error"
                    raise FetchError(
                        f"{shown(url)}: the server answered {status} {reason}.",
                        f"{shown(url)}: máy chủ trả lời lỗi {status}.",
                        status,
                    )
                body = self._body(url, resp, limit, truncate, deadline)
            finally:
                resp.close()
        except httpx.TimeoutException:
            host = parts.hostname.lower()
            self._silent[host] = self._silent.get(host, 0) + 1
            raise FetchError(
                f"{shown(url)}: the server did not answer within {timeout:g} s (QA_FETCH_TIMEOUT).",
                f"{shown(url)}: máy chủ không trả lời trong {timeout:g} giây.",
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
            detail = str(exc).strip() or exc.__class__.__name__
            raise FetchError(
                f"{shown(url)}: the download failed ({detail[:160]}).",
                f"{shown(url)}: không tải được trang ({detail[:160]}).",
            ) from None
        return Response(
            url, 200, headers.get("content-type", ""), body, headers.get("etag"), headers.get("last-modified")
        ), None

    def _send(self, parts, addresses: list[str], extra: dict):
        import httpx

        name = parts.hostname.encode("idna").decode("ascii")  # a Vietnamese domain name, as DNS and TLS know it
        host = name if parts.port is None else f"{name}:{parts.port}"
        extensions = {"sni_hostname": name} if parts.scheme.lower() == "https" else {}
        for i, address in enumerate(addresses):
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            netloc = f"[{ip}]" if ip.version == 6 else str(ip)
            if parts.port is not None:
                netloc += f":{parts.port}"
            target = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))
            request = self._client.build_request("GET", target, headers={"Host": host, **extra}, extensions=extensions)
            try:
                return self._client.send(request, stream=True)
            except httpx.ConnectError:
                if i == len(addresses) - 1:
                    raise

    def _body(self, url: str, resp, limit: int, truncate: bool, deadline: float) -> bytes:
        """The decoded body, read until the limit (then refused, or cut when `truncate`) or the deadline."""
        length = resp.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit and not truncate:
            raise self._too_large(url, limit)
        chunks, total = [], 0
        for chunk in resp.iter_bytes():
            if time.monotonic() > deadline:
                raise FetchError(
                    f"{shown(url)}: the server did not send the page within "
                    f"{self.settings.fetch_timeout:g} s (QA_FETCH_TIMEOUT).",
                    f"{shown(url)}: máy chủ không gửi xong trang trong {self.settings.fetch_timeout:g} giây.",
                )
            total += len(chunk)
            if total > limit:
                if truncate:
                    chunks.append(chunk[: limit - (total - len(chunk))])
                    break
                raise self._too_large(url, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _too_large(url: str, limit: int) -> FetchError:
        mb = f"{limit / 1_048_576:.3g} MB"
        return FetchError(
            f"{shown(url)}: the response is larger than {mb} (QA_FETCH_MAX_MB); reading stopped there.",
            f"{shown(url)}: nội dung lớn hơn {mb}; đã dừng tải.",
        )


def _gunzip(data: bytes, limit: int, url: str) -> bytes:
    """A gzip file's content (a sitemap.xml.gz), never more than `limit` bytes of it."""
    inflater = zlib.decompressobj(wbits=47)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise FetchError(f"{shown(url)}: the gzip file is damaged.", f"{shown(url)}: tệp nén gzip bị hỏng.") from None
    if len(out) > limit:
        raise Fetcher._too_large(url, limit)
    return out


def kind_of(r: Response) -> str:
    """ "sitemap", "feed" or "page", from the first bytes (a feed's Content-Type is often text/xml)."""
    head = r.body[:4096]
    if _SITEMAP.search(head):
        return "sitemap"
    ctype = r.content_type.split(";", 1)[0].strip().lower()
    if _FEED.search(head) or ctype.endswith(("rss+xml", "atom+xml", "rdf+xml", "feed+json")):
        return "feed"
    if head.lstrip().startswith(b"{") and b"jsonfeed.org" in head:
        return "feed"
    return "page"


def _text(r: Response) -> str:
    return _transcoded(r).decode("utf-8", "replace")


def _transcoded(r: Response) -> bytes:
    """The body as UTF-8 when the Content-Type names another charset that decodes it."""
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", r.content_type, re.I)
    if not m:
        return r.body
    try:
        name = codecs.lookup(m[1]).name
        return r.body if name == "utf-8" else r.body.decode(name).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return r.body


def _page_links(base: str, links: list[str]) -> list[str]:
    """Absolute links without fragments, in order, once each; the site's home page (a feed's own
    <link>) is not an article."""
    out: dict[str, None] = {}
    for link in links:
        url = urljoin(base, link.strip()).split("#", 1)[0]
        if url and url != base and urlsplit(url).path not in ("", "/"):
            out.setdefault(url)
    return list(out)


def feed_links(r: Response) -> list[str]:
    """The entries of an RSS, Atom or JSON feed, in the feed's order (trafilatura's reader)."""
    from trafilatura.feeds import FeedParameters, find_links

    parts = urlsplit(r.url)
    links = find_links(_text(r).strip(), FeedParameters(f"{parts.scheme}://{parts.netloc}", parts.hostname, r.url))
    return _page_links(r.url, links)


def _sitemap_reader(url: str):
    """trafilatura's sitemap reader, keeping every http(s) link: its own link filter (courlan)
    drops hosts without a public suffix, such as an intranet name or an IP address."""
    from trafilatura.sitemaps import DETECT_SITEMAP_LINK, SitemapObject

    class Reader(SitemapObject):
        __slots__ = ()

        def handle_link(self, link: str) -> None:
            link = urljoin(self.current_url, link.strip()).split("#", 1)[0]
            if link != self.current_url:
                (self.sitemap_urls if DETECT_SITEMAP_LINK.search(link) else self.urls).append(link)

    parts = urlsplit(url)
    reader = Reader(f"{parts.scheme}://{parts.netloc}", parts.hostname or "", [])
    reader.current_url = url
    return reader


class Sources:
    """The web side of one ingest: URL arguments → pages to fetch; a page → an article."""

    def __init__(self, settings: Settings, known: dict[str, Known]):
        self.settings = settings
        self.known = known
        self.fetcher = Fetcher(settings)
        self.notices: list[Notice] = []

    def close(self) -> None:
        self.fetcher.close()

    def _conditional(self, url: str) -> dict:
        k = self.known.get(url)
        return {"etag": k.etag, "last_modified": k.last_modified} if k else {}

    def expand(self, url: str) -> tuple[list[Entry], list[FetchError]]:
        """The pages one argument stands for (itself, a feed's entries, a sitemap's pages), and the
        sitemaps of it that could not be read. FetchError if the argument itself cannot be."""
        url = url.strip()
        r = self.fetcher.get(url, **self._conditional(url))
        if r.status == 304:
            return [Entry(url, r)], []
        if r.body[:2] == b"\x1f\x8b":
            r = replace(r, body=_gunzip(r.body, int(self.settings.fetch_max_mb * 1024 * 1024), url))
        kind = kind_of(r)
        if kind == "page":
            return [Entry(url, r)], []
        failed: list[FetchError] = []
        links = feed_links(r) if kind == "feed" else self._sitemap_pages(r, failed)
        if not links:
            what = "feed" if kind == "feed" else "sitemap"
            raise FetchError(
                f"{shown(url)}: the {what} lists no pages.",
                f"{shown(url)}: {'nguồn tin' if kind == 'feed' else 'sơ đồ trang'} không có bài nào.",
            )
        return self._capped(url, links), failed

    def _sitemap_pages(self, first: Response, failed: list[FetchError]) -> list[str]:
        pages: list[str] = []
        queue, seen = [first], {first.url}
        while queue:
            r = queue.pop(0)
            reader = _sitemap_reader(r.url)
            reader.content = _text(r)
            reader.process()
            pages += reader.urls
            for nested in reader.sitemap_urls:
                if nested in seen:
                    continue
                if len(seen) >= MAX_SITEMAPS:
                    self.notices.append(
                        Notice(
                            first.url,
                            f"{shown(first.url)}: only {MAX_SITEMAPS} sitemaps are "
                            "read per run; the others were skipped.",
                            f"{shown(first.url)}: chỉ đọc {MAX_SITEMAPS} sơ đồ trang mỗi lần.",
                        )
                    )
                    queue.clear()
                    break
                seen.add(nested)
                try:
                    nr = self.fetcher.get(nested)
                    if nr.body[:2] == b"\x1f\x8b":
                        nr = replace(nr, body=_gunzip(nr.body, int(self.settings.fetch_max_mb * 1024 * 1024), nested))
                    queue.append(nr)
                except FetchError as exc:
                    failed.append(exc)
        return _page_links(first.url, pages)

    def _capped(self, source: str, links: list[str]) -> list[Entry]:
        """At most QA_FETCH_MAX_ENTRIES pages of one feed or sitemap, those not yet in the index first,
        so that runs one after another work through a long list."""
        cap = self.settings.fetch_max_entries
        if len(links) > cap:
            self.notices.append(
                Notice(
                    source,
                    f"{shown(source)}: lists {len(links):,} pages; {cap:,} are taken per run "
                    "(QA_FETCH_MAX_ENTRIES), new ones first; run again for the rest.",
                    f"{shown(source)}: có {len(links):,} bài; mỗi lần chỉ nạp {cap:,} bài, bài mới trước; "
                    "hãy chạy lại để nạp tiếp.",
                )
            )
            new = [u for u in links if u not in self.known]
            links = (new + [u for u in links if u in self.known])[:cap]
        return [Entry(u) for u in links]

    def page(self, entry: Entry) -> Response:
        """The entry's response: the one from expanding it, or a (conditional) GET."""
        return entry.response or self.fetcher.get(entry.url, **self._conditional(entry.url))

    def article(self, entry: Entry, r: Response) -> Article:
        """The article of a fetched page (InputError when it is not one), with its URL and, when the
        text names no source, the site's host as source."""
        from ..decode import text_from_bytes
        from ..ingest import article_from_raw

        ctype = r.content_type.split(";", 1)[0].strip().lower()
        if ctype and ctype not in _TEXT_TYPES and not ctype.endswith("xml"):
            raise InputError(
                f"{shown(r.url)}: the server sent {ctype}, not a web page.",
                f"{shown(r.url)}: máy chủ gửi tệp {ctype}, không phải trang web.",
            )
        label = _Label(shown(r.url))
        raw = text_from_bytes(_transcoded(r), _TEXT_TYPES.get(ctype, ".html"), label)
        art = article_from_raw(raw, label.name, self.settings.max_article_chars, file=r.url)
        host = urlsplit(r.url).hostname
        return replace(art, meta=replace(art.meta, url=r.url, source=art.meta.source or host))


@dataclass(frozen=True)
class _Label:
    """What qa.decode names in its refusals (it reads only `.name`): here the URL."""

    name: str


def known_pages(db) -> dict[str, Known]:
    """The pages fetched before whose article the index still holds under their URL."""
    db.execute(STATE_TABLE)
    rows = db.execute(
        "SELECT w.url, w.article_id, w.etag, w.last_modified FROM web_pages w "
        "JOIN files f ON f.path = w.url AND f.article_id = w.article_id"
    )
    return {url: Known(aid, etag, modified) for url, aid, etag, modified in rows}


def remember(db, url: str, r: Response, article_id: str) -> None:
    """Record a page's validators (ETag, Last-Modified) for the next run's conditional GET."""
    db.execute(
        "INSERT OR REPLACE INTO web_pages(url, article_id, etag, last_modified, fetched) VALUES (?, ?, ?, ?, ?)",
        (url, article_id, r.etag, r.last_modified, time.time()),
    )
