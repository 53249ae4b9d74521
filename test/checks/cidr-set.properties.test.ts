import fc from "fast-check";
import { cidrRange, coversWholeInternet, unionOf } from "../../lib/checks/cidr-set";

/** Splits a CIDR block into its two halves. */
function halves(cidr: string): [string, string] {
  const { range } = cidrRange(cidr)!;
  const prefix = Number(cidr.split("/")[1]);
  const mid = range.start + (range.end - range.start + 1n) / 2n;
  const ip = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  return [`${ip(range.start)}/${prefix + 1}`, `${ip(mid)}/${prefix + 1}`];
}

/** Splits 0.0.0.0/0 by the given path of choices into a partition of the address space. */
function partition(choices: readonly number[]): string[] {
  let blocks = ["0.0.0.0/0"];
  for (const c of choices) {
    const i = c % blocks.length;
    blocks = [...blocks.slice(0, i), ...halves(blocks[i]!), ...blocks.slice(i + 1)];
  }
  return blocks;
}

describe("CIDR blocks as sets", () => {
  test("any split of 0.0.0.0/0 into smaller blocks still covers the whole internet", () => {
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 24 }), fc.nat(), (choices, seed) => {
      const blocks = partition(choices);
      const shuffled = [...blocks].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7));
      expect(coversWholeInternet(shuffled)).toBe(true);
    }));
  });

  test("dropping any one block of such a split leaves a gap", () => {
    fc.assert(fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 24 }), fc.nat(), (choices, drop) => {
      const blocks = partition(choices);
      blocks.splice(drop % blocks.length, 1);
      expect(coversWholeInternet(blocks)).toBe(false);
    }));
  });

  test("IPv6 halves and the examples of the rule", () => {
    expect(coversWholeInternet(["::/1", "8000::/1"])).toBe(true);
    expect(coversWholeInternet(["::/1"])).toBe(false);
    expect(coversWholeInternet(["0.0.0.0/1", "128.0.0.0/1"])).toBe(true);
    expect(coversWholeInternet(["0.0.0.0/1", "128.0.0.0/2"])).toBe(false);
    expect(coversWholeInternet(["10.0.0.0/8", "not-a-cidr"])).toBe(false);
    // A block is the aligned range around its address: 10.1.2.3/8 counts as 10.0.0.0/8.
    expect(unionOf([cidrRange("10.1.2.3/8")!.range])).toEqual([cidrRange("10.0.0.0/8")!.range]);
  });
});
