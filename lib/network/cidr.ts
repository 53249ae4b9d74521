/** An IPv4 CIDR block, e.g. `10.0.0.0/16`. */
export interface Ipv4Cidr {
  /** Network address as a 32-bit unsigned integer. */
  readonly address: number;
  /** Prefix length, 0-32. */
  readonly prefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/p`; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const m = CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (address % 2 ** (32 - prefix) !== 0) return undefined;
  return { address, prefix };
}

/** Formats a CIDR block as `a.b.c.d/p`. */
export function formatCidr(cidr: Ipv4Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(cidr.address / 2 ** shift) % 256);
  return `${octets.join(".")}/${cidr.prefix}`;
}

/** The `index`-th block of prefix `newPrefix` inside `parent` (Terraform's `cidrsubnet`). */
export function subnetOf(parent: Ipv4Cidr, newPrefix: number, index: number): Ipv4Cidr {
  const count = 2 ** (newPrefix - parent.prefix);
  if (newPrefix < parent.prefix || newPrefix > 32 || index < 0 || index >= count) {
    throw new RangeError(`no block ${index} of /${newPrefix} in ${formatCidr(parent)}`);
  }
  return { address: parent.address + index * 2 ** (32 - newPrefix), prefix: newPrefix };
}
