/** IPv4 address and network checks. */

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
/** An IPv4 CIDR block such as `10.0.0.0/16`. */
export const IPV4_CIDR = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}/(?:3[0-2]|[12]?\\d)$`);

/** True when `cidr` is an IPv4 CIDR block whose address has no bits set beyond its prefix. */
export function isIpv4Network(cidr: string): boolean {
  if (!IPV4_CIDR.test(cidr)) return false;
  const [address, bits] = cidr.split("/") as [string, string];
  const value = address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const hostBits = 32 - Number(bits);
  return value % 2 ** hostBits === 0;
}

/** The 32-bit value of a dotted IPv4 address, or undefined when `text` is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

/** The eight 16-bit groups of an IPv6 address (`::` and an embedded dotted IPv4 tail allowed), or undefined. */
export function parseIpv6(text: string): number[] | undefined {
  let address = text.replace(/^\[|\]$/g, "").toLowerCase();
  if (address.includes("%")) address = address.slice(0, address.indexOf("%")); // zone index: not part of the address
  const v4 = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (v4) {
    const value = parseIpv4(v4[1]!);
    if (value === undefined) return undefined;
    address = `${address.slice(0, v4.index)}:${Math.floor(value / 65536).toString(16)}:${(value % 65536).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => "0"), ...tail];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}

/** IPv4 ranges that are not the public internet, with the reason, most specific first. */
const IPV4_SPECIAL: ReadonlyArray<readonly [string, string]> = [
  ["169.254.0.0/16", "link-local (RFC 3927; the EC2 instance metadata service, DNS and time servers live here)"],
  ["127.0.0.0/8", "loopback (RFC 1122)"],
  ["10.0.0.0/8", "private (RFC 1918)"],
  ["172.16.0.0/12", "private (RFC 1918)"],
  ["192.168.0.0/16", "private (RFC 1918)"],
  ["100.64.0.0/10", "shared address space (RFC 6598, carrier-grade NAT)"],
  ["0.0.0.0/8", "'this network' (RFC 1122)"],
  ["192.0.0.0/24", "IETF protocol assignments (RFC 6890)"],
  ["198.18.0.0/15", "benchmarking (RFC 2544)"],
  ["224.0.0.0/4", "multicast (RFC 5771)"],
  ["240.0.0.0/4", "reserved (RFC 1112) or broadcast"],
];

function inIpv4Range(value: number, cidr: string): boolean {
  const [address, bits] = cidr.split("/") as [string, string];
  const size = 2 ** (32 - Number(bits));
  const base = parseIpv4(address)!;
  return value >= base && value < base + size;
}

/**
 * Why `host` (a URL host name: a DNS name, a dotted IPv4 address or a
 * bracketed IPv6 address) is not a public internet host, or undefined when it
 * is one (as far as the name shows: a DNS name is only judged by its form).
 * Refused: loopback, link-local (169.254.0.0/16, fe80::/10, the EC2 metadata
 * service at 169.254.169.254 and fd00:ec2::254), private (RFC 1918, RFC 4193
 * fc00::/7), shared, multicast and reserved ranges, IPv4-mapped IPv6 forms of
 * those, `localhost`, single-label names and the `.internal`, `.local`,
 * `.localhost` suffixes (private zones, mDNS). Sources: RFC 6890 (special-purpose
 * address registries), RFC 4193, RFC 6762, RFC 6761; EC2 instance metadata
 * service addresses (EC2 User Guide, "Access instance metadata").
 */
export function nonPublicHostReason(host: string): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, "");
  const v4 = parseIpv4(name);
  if (v4 !== undefined) return IPV4_SPECIAL.find(([cidr]) => inIpv4Range(v4, cidr))?.[1];
  if (name.startsWith("[") || name.includes(":")) {
    const groups = parseIpv6(name);
    if (!groups) return "not a valid IPv6 address";
    const [g0, , , , , g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
    if (groups.slice(0, 7).every((g) => g === 0) && (g7 === 0 || g7 === 1)) return g7 === 1 ? "loopback (::1)" : "unspecified (::)";
    if (groups.slice(0, 5).every((g) => g === 0) && g5 === 0xffff) return nonPublicHostReason(`${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`) ?? undefined;
    if ((g0 & 0xffc0) === 0xfe80) return "link-local (fe80::/10)";
    if ((g0 & 0xfe00) === 0xfc00) return "unique local (RFC 4193, fc00::/7; the EC2 metadata service is fd00:ec2::254)";
    if ((g0 & 0xff00) === 0xff00) return "multicast (ff00::/8)";
    return undefined;
  }
  if (name === "localhost" || name.endsWith(".localhost")) return "localhost (RFC 6761)";
  if (!name.includes(".")) return "a single-label name (resolved inside the VPC, not on the internet)";
  if (/\.(internal|local|intranet|lan|home\.arpa)$/.test(name) || name === "instance-data") return "a private DNS suffix (resolved inside the VPC or the local network)";
  return undefined;
}

/** The prefix length of an IPv4 CIDR (`10.8.0.0/16` -> 16), or undefined. */
export function ipv4PrefixOf(cidr: string): number | undefined {
  return IPV4_CIDR.test(cidr) ? Number(cidr.split("/")[1]) : undefined;
}
