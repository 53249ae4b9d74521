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
