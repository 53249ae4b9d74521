import { check } from "../../core/errors";
import { INSTANCE_MEMORY_MIB } from "../../mirror/instance-memory";

/**
 * Memory of arm64 (Graviton) types used for workers, in MiB (EC2 instance
 * type documentation, general purpose and compute optimized: GiB × 1024).
 * x86_64 types come from the mirror's {@link INSTANCE_MEMORY_MIB}; for any
 * other type pass `workerMemoryMiB`.
 */
export const ARM64_INSTANCE_MEMORY_MIB: Readonly<Record<string, number>> = {
  "t4g.medium": 4096,
  "t4g.large": 8192,
  "t4g.xlarge": 16384,
  "m6g.large": 8192,
  "m6g.xlarge": 16384,
  "m7g.large": 8192,
  "m7g.xlarge": 16384,
  "m7g.2xlarge": 32768,
  "c7g.large": 4096,
  "c7g.xlarge": 8192,
};

/** Memory a worker keeps for the OS, sshd and the docker daemon, in MiB. */
export const WORKER_SYSTEM_RESERVE_MIB = 1024;

/** The memory of an instance type from the tables, or undefined. */
export function knownInstanceMemoryMiB(instanceType: string): number | undefined {
  return INSTANCE_MEMORY_MIB[instanceType] ?? ARM64_INSTANCE_MEMORY_MIB[instanceType];
}

/** What the worker sizing check needs. */
export interface WorkerSizing {
  /** The worker instance types (every one must fit). */
  readonly instanceTypes: readonly string[];
  /** Memory stated by hand for types missing from the tables (applies to every type). */
  readonly workerMemoryMiB?: number;
  /** Memory one job needs, in MiB. */
  readonly jobMemoryMiB: number;
  /** Jobs at once on one worker. */
  readonly capacityPerInstance: number;
}

/**
 * The most jobs that fit on the smallest of the instance types:
 * `floor((memory − {@link WORKER_SYSTEM_RESERVE_MIB}) / jobMemoryMiB)`.
 * @throws ValidationError when a type is unknown and `workerMemoryMiB` is not given, or the job size is not a whole number ≥ 128
 */
export function jobsPerWorker(path: string, sizing: WorkerSizing): number {
  check(Number.isInteger(sizing.jobMemoryMiB) && sizing.jobMemoryMiB >= 128, {
    path,
    subject: "jobMemoryMiB",
    value: sizing.jobMemoryMiB,
    rule: "the memory one job needs is a whole number of MiB ≥ 128",
    fix: "use the peak memory of your largest job plus its services, e.g. 2048",
  });
  const memories = sizing.instanceTypes.map((type) => {
    const memory = sizing.workerMemoryMiB ?? knownInstanceMemoryMiB(type);
    check(memory !== undefined && Number.isInteger(memory) && memory > 0, {
      path,
      subject: "workerInstanceTypes",
      value: type,
      rule: `capacity per worker is checked against the instance's memory, but ${type} is not in the instance memory tables (INSTANCE_MEMORY_MIB, ARM64_INSTANCE_MEMORY_MIB)`,
      fix: "pass workerMemoryMiB with the smallest listed type's memory in MiB, or use a listed type such as m7i.large",
    });
    return memory;
  });
  return Math.max(0, Math.floor((Math.min(...memories) - WORKER_SYSTEM_RESERVE_MIB) / sizing.jobMemoryMiB));
}

/**
 * Checks that `capacityPerInstance` jobs of `jobMemoryMiB` fit on every worker
 * instance type next to the system's reserve.
 * @throws ValidationError naming the most jobs that fit
 */
export function validateWorkerCapacity(path: string, sizing: WorkerSizing): void {
  const fits = jobsPerWorker(path, sizing);
  check(sizing.capacityPerInstance <= fits, {
    path,
    subject: "capacityPerInstance",
    value: sizing.capacityPerInstance,
    rule: `${sizing.capacityPerInstance} jobs of ${sizing.jobMemoryMiB} MiB need ${sizing.capacityPerInstance * sizing.jobMemoryMiB + WORKER_SYSTEM_RESERVE_MIB} MiB with the system's ${WORKER_SYSTEM_RESERVE_MIB} MiB, but the smallest worker type of ${JSON.stringify(sizing.instanceTypes)} fits ${fits}`,
    fix: fits >= 1 ? `set capacityPerInstance to at most ${fits}, or use larger worker instance types` : "use larger worker instance types or a smaller jobMemoryMiB",
  });
}
