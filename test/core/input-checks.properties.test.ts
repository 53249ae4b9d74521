import fc from "fast-check";
import { forbiddenHostPathOf, FORBIDDEN_HOST_PATHS, normaliseHostPath } from "../../lib/core/host-path";
import { nonPublicHostReason, parseIpv6 } from "../../lib/core/net";
import { suggestRegion, validateRegion } from "../../lib/core/aws";

/*
 * Properties of the input checks: spellings never get around them, and what
 * they suggest is itself valid.
 */

const segment = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);

/** A spelling of `path` the kernel resolves to the same place: doubled slashes, `.` segments, `x/..` detours, a trailing slash. */
const spellingOf = (path: string) =>
  fc.tuple(fc.array(fc.constantFrom("double", "dot", "detour"), { maxLength: 4 }), segment, fc.boolean()).map(([tricks, detour, trailing]) => {
    let parts = path.split("/").filter((p) => p !== "");
    for (const trick of tricks) {
      const at = parts.length === 0 ? 0 : parts.length - 1;
      if (trick === "dot") parts = [...parts.slice(0, at), ".", ...parts.slice(at)];
      if (trick === "detour") parts = [...parts.slice(0, at), detour, "..", ...parts.slice(at)];
      if (trick === "double") parts = [...parts.slice(0, at), "", ...parts.slice(at)];
    }
    return `/${parts.join("/")}${trailing ? "/" : ""}`;
  });

describe("host mounts", () => {
  test("property: every spelling of a forbidden path (or of /) is refused", () => {
    fc.assert(
      fc.property(fc.constantFrom("/", ...FORBIDDEN_HOST_PATHS).chain(spellingOf), (spelling) => {
        expect(forbiddenHostPathOf(spelling)).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  test("property: a dedicated directory under /srv is allowed, and normalisation is idempotent", () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 3 }), (parts) => {
        const path = `/srv/${parts.join("/")}`;
        expect(forbiddenHostPathOf(path)).toBeUndefined();
        expect(normaliseHostPath(normaliseHostPath(`${path}//./`))).toBe(path);
      }),
    );
  });
});

describe("proxy upstream hosts", () => {
  const octet = fc.integer({ min: 0, max: 255 });
  test("property: every address of 169.254.0.0/16, 127.0.0.0/8 and RFC 1918 is refused", () => {
    const special = fc.oneof(
      fc.tuple(octet, octet).map(([c, d]) => `169.254.${c}.${d}`),
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `127.${b}.${c}.${d}`),
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
      fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([b, c, d]) => `172.${b}.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
    );
    fc.assert(fc.property(special, (host) => expect(nonPublicHostReason(host)).toBeDefined()), { numRuns: 300 });
  });

  test("property: the URL parser's spellings of an address are judged like the address (decimal, hex, IPv4-mapped IPv6)", () => {
    fc.assert(
      fc.property(fc.tuple(octet, octet), ([c, d]) => {
        const value = ((169 * 256 + 254) * 256 + c) * 256 + d;
        for (const spelling of [String(value), `0x${value.toString(16)}`, `[::ffff:169.254.${c}.${d}]`]) {
          expect(nonPublicHostReason(new URL(`https://${spelling}/`).hostname)).toMatch(/link-local/);
        }
      }),
      { numRuns: 100 },
    );
  });

  test("public hosts pass, and IPv6 parsing expands ::", () => {
    for (const host of ["registry-1.docker.io", "lang-common.s3.amazonaws.com", "8.8.8.8", "[2606:4700::1111]"]) expect(nonPublicHostReason(host)).toBeUndefined();
    expect(parseIpv6("fd00:ec2::254")).toEqual([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]);
    expect(nonPublicHostReason("[fd00:ec2::254]")).toMatch(/unique local/);
  });
});

describe("region suggestions", () => {
  test("property: a region with its last dash dropped, upper-cased or underscored is refused, and the suggestion is the region", () => {
    const region = fc.constantFrom("eu-central-1", "us-east-2", "ap-southeast-3", "us-gov-west-1", "cn-north-1", "eu-west-3");
    const typo = fc.tuple(region, fc.constantFrom("nodash", "upper", "underscore")).map(([r, kind]) => ({
      region: r,
      typo: kind === "nodash" ? r.replace(/-(\d+)$/, "$1") : kind === "upper" ? r.toUpperCase() : r.replace(/-/g, "_"),
    }));
    fc.assert(
      fc.property(typo, ({ region: r, typo: t }) => {
        expect(() => validateRegion("p", "region", t)).toThrow(/Rule: an AWS region looks like/);
        expect(suggestRegion(t)).toBe(r);
        expect(() => validateRegion("p", "region", suggestRegion(t)!)).not.toThrow();
      }),
    );
  });
});
