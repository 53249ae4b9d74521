import fc from "fast-check";
import {
  INSTANCE_MEMORY_MIB,
  NEXUS_MAX_HEAP_MIB,
  NEXUS_MIN_HEAP_MIB,
  NEXUS_MIN_MEMORY_MIB,
  nexusJvmMemory,
  resolveInstanceMemory,
} from "../../lib/mirror/instance-memory";

describe("Nexus JVM memory from the instance memory", () => {
  test.each([
    [8192, { heapMiB: 2730, directMemoryMiB: 2730 }],
    [16384, { heapMiB: 5461, directMemoryMiB: 5461 }],
    [4096, { heapMiB: 2703, directMemoryMiB: 369 }],
    [262144, { heapMiB: 31744, directMemoryMiB: 31744 }],
  ])("%p MiB -> %p", (memory, expected) => {
    expect(nexusJvmMemory(memory)).toEqual(expected);
  });

  test("property: the heap is at least 2703 MiB and at most 31 GiB, and heap + direct memory leave 1 GiB to the OS", () => {
    fc.assert(
      fc.property(fc.integer({ min: NEXUS_MIN_MEMORY_MIB, max: 4 * 1024 * 1024 }), (memory) => {
        const { heapMiB, directMemoryMiB } = nexusJvmMemory(memory);
        expect(heapMiB).toBeGreaterThanOrEqual(NEXUS_MIN_HEAP_MIB);
        expect(heapMiB).toBeLessThanOrEqual(NEXUS_MAX_HEAP_MIB);
        expect(directMemoryMiB).toBeGreaterThanOrEqual(256);
        expect(heapMiB + directMemoryMiB + 1024).toBeLessThanOrEqual(memory);
      }),
      { numRuns: 200 },
    );
  });

  test("the table holds whole GiB and the default type has 8 GiB", () => {
    expect(Object.values(INSTANCE_MEMORY_MIB).every((m) => m % 1024 === 0)).toBe(true);
    expect(INSTANCE_MEMORY_MIB["m7i.large"]).toBe(8192);
    expect(resolveInstanceMemory("p", { instanceType: "m7i.large" })).toBe(8192);
    expect(resolveInstanceMemory("p", { instanceType: "c7i.large", allowSmallInstance: true })).toBe(4096);
  });
});
