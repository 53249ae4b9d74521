/**
 * CIDR blocks as sets of addresses, for rules that must judge what a group of
 * rules admits together: `0.0.0.0/1` plus `128.0.0.0/1` is the whole internet
 * even though neither block is `/0`.
 */

/** An inclusive range of addresses, as big integers (IPv4 and IPv6 alike). */
export interface AddressRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** Parses an IPv4 address to its 32-bit value, or undefined. */
function ipv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

/** Parses an IPv6 address (with `::` compression, without embedded IPv4) to its 128-bit value, or undefined. */
function ipv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** The family and range of a CIDR block (`10.0.0.0/8`, `::/0`); undefined for anything else. */
export function cidrRange(cidr: string): { readonly family: 4 | 6; readonly range: AddressRange } | undefined {
  const [address, prefixText] = cidr.trim().split("/");
  if (!address || prefixText === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const family = address.includes(":") ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  const value = family === 4 ? ipv4(address) : ipv6(address);
  if (value === undefined || prefix > bits) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const start = (value / size) * size;
  return { family, range: { start, end: start + size - 1n } };
}

/** Merges ranges into a sorted list of disjoint ranges. */
export function unionOf(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: AddressRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end + 1n) merged[merged.length - 1] = { start: last.start, end: r.end > last.end ? r.end : last.end };
    else merged.push(r);
  }
  return merged;
}

/** True when the CIDR blocks together cover every IPv4 address or every IPv6 address (the whole internet). */
export function coversWholeInternet(cidrs: readonly string[]): boolean {
  const parsed = cidrs.map(cidrRange).filter((c): c is NonNullable<typeof c> => c !== undefined);
  return ([4, 6] as const).some((family) => {
    const union = unionOf(parsed.filter((c) => c.family === family).map((c) => c.range));
    const max = (1n << BigInt(family === 4 ? 32 : 128)) - 1n;
    return union.length === 1 && union[0]!.start === 0n && union[0]!.end === max;
  });
}
