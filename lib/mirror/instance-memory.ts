import { check } from "../core/errors";

/**
 * Memory in MiB of common x86_64 instance types (EC2 instance type
 * documentation: GiB × 1024). The mirror host runs the x86_64 Amazon Linux
 * 2023 AMI, so only x86_64 types are listed. For any other type pass
 * `memoryMiB` explicitly.
 */
export const INSTANCE_MEMORY_MIB: Readonly<Record<string, number>> = {
  "t3.medium": 4096,
  "t3.large": 8192,
  "t3.xlarge": 16384,
  "t3.2xlarge": 32768,
  "t3a.medium": 4096,
  "t3a.large": 8192,
  "t3a.xlarge": 16384,
  "m5.large": 8192,
  "m5.xlarge": 16384,
  "m5.2xlarge": 32768,
  "m6i.large": 8192,
  "m6i.xlarge": 16384,
  "m6i.2xlarge": 32768,
  "m6a.large": 8192,
  "m6a.xlarge": 16384,
  "m7i.large": 8192,
  "m7i.xlarge": 16384,
  "m7i.2xlarge": 32768,
  "m7a.large": 8192,
  "m7a.xlarge": 16384,
  "r6i.large": 16384,
  "r6i.xlarge": 32768,
  "r7i.large": 16384,
  "r7i.xlarge": 32768,
  "c6i.large": 4096,
  "c6i.xlarge": 8192,
  "c7i.large": 4096,
  "c7i.xlarge": 8192,
};

/** Sonatype's minimum host memory for Nexus Repository 3 (8 GiB). Smaller hosts need `allowSmallInstance`. */
export const NEXUS_RECOMMENDED_MEMORY_MIB = 8192;
/** Below this no Nexus fits at all, even with `allowSmallInstance`: the minimum heap plus the OS and docker. */
export const NEXUS_MIN_MEMORY_MIB = 4096;
/** Sonatype's minimum JVM heap for Nexus Repository 3. */
export const NEXUS_MIN_HEAP_MIB = 2703;
/** Largest heap that keeps compressed object pointers (just under 32 GiB). */
export const NEXUS_MAX_HEAP_MIB = 31744;
/** Memory left to the OS, docker and the page cache on small hosts. */
const OS_RESERVE_MIB = 1024;

/** JVM memory settings of the Nexus container. */
export interface NexusJvmMemory {
  /** -Xms and -Xmx (equal). */
  readonly heapMiB: number;
  /** -XX:MaxDirectMemorySize. */
  readonly directMemoryMiB: number;
}

/**
 * Heap and direct memory for a host: a third of the memory each for heap and
 * direct memory (Sonatype's 8 GiB profile is 2703 MiB of each), the heap at
 * least 2703 MiB and at most 31 GiB; on small hosts direct memory shrinks to
 * leave 1 GiB to the OS.
 */
export function nexusJvmMemory(memoryMiB: number): NexusJvmMemory {
  const heapMiB = Math.min(NEXUS_MAX_HEAP_MIB, Math.max(NEXUS_MIN_HEAP_MIB, Math.floor(memoryMiB / 3)));
  const directMemoryMiB = Math.max(256, Math.min(heapMiB, memoryMiB - heapMiB - OS_RESERVE_MIB));
  return { heapMiB, directMemoryMiB };
}

/** How the memory of the mirror host's instance type was given. */
export interface InstanceMemoryOptions {
  /** The instance type. */
  readonly instanceType: string;
  /**
   * Memory stated by hand (required for types missing from {@link INSTANCE_MEMORY_MIB}).
   * @default from INSTANCE_MEMORY_MIB
   */
  readonly memoryMiB?: number;
  /**
   * Accept less than {@link NEXUS_RECOMMENDED_MEMORY_MIB} (at least {@link NEXUS_MIN_MEMORY_MIB}).
   * @default false
   */
  readonly allowSmallInstance?: boolean;
}

/** Resolves and checks the memory of the mirror host's instance type. */
export function resolveInstanceMemory(path: string, options: InstanceMemoryOptions): number {
  const known = INSTANCE_MEMORY_MIB[options.instanceType];
  const given = options.memoryMiB;
  if (given !== undefined) {
    check(Number.isInteger(given) && given > 0, {
      path,
      subject: "memoryMiB",
      value: given,
      rule: "memory is a whole number of MiB",
      fix: "state the instance type's memory in MiB, e.g. 16384 for 16 GiB",
    });
    check(known === undefined || known === given, {
      path,
      subject: "memoryMiB",
      value: given,
      rule: `${options.instanceType} has ${known} MiB (INSTANCE_MEMORY_MIB); a different value would size the heap wrongly`,
      fix: "remove memoryMiB for listed instance types",
    });
  }
  const memory = given ?? known;
  check(memory !== undefined, {
    path,
    subject: "instanceType",
    value: options.instanceType,
    rule: `the heap is derived from the instance memory, but ${options.instanceType} is not in the table of known x86_64 types (INSTANCE_MEMORY_MIB)`,
    fix: `pass memoryMiB with the type's memory, or use a listed type such as m7i.large`,
  });
  check(memory >= NEXUS_RECOMMENDED_MEMORY_MIB || options.allowSmallInstance === true, {
    path,
    subject: "instanceType",
    value: options.instanceType,
    rule: `Nexus needs a host with at least ${NEXUS_RECOMMENDED_MEMORY_MIB / 1024} GiB of memory, ${options.instanceType} has ${memory} MiB`,
    fix: "use m7i.large or larger, or set allowSmallInstance: true to accept a small heap and little page cache (tests only)",
  });
  check(memory >= NEXUS_MIN_MEMORY_MIB, {
    path,
    subject: "instanceType",
    value: options.instanceType,
    rule: `no Nexus fits in ${memory} MiB: the minimum heap is ${NEXUS_MIN_HEAP_MIB} MiB plus the OS and docker (${NEXUS_MIN_MEMORY_MIB} MiB at least)`,
    fix: "use an instance type with at least 8 GiB of memory, such as m7i.large",
  });
  return memory;
}
