import { check, ValidationError, type ValidationSection, type Violation, violationsOf } from "../lib/core/errors";
import { isAtOrAbove } from "./config-shape";

/*
 * The rules of a configuration with broken fields (a required field missing, a list given as an
 * object, ...) run on a view of it that notices when a rule reads a broken field: a rule of one
 * section reading another section's missing field (an environment's deploy check looking for the
 * toolbox project on the GitLab instance of an environment without `gitlab.url`) would report
 * nonsense at its own path, which no path-based filter can tell from a real problem. What a
 * section finds after it read a broken field is left out; what it found before is reported.
 */

/** A section boundary or a read of a broken field, recorded among the violations (so their order tells which came after a read). */
type MarkerKind = "start" | "read" | "end";

/** The configuration the rules run on, the section wrapper they run in, and the filter for what they found. */
export interface BrokenReads<T> {
  /** `config` seen through a proxy that records reads of a broken field (of the section reading it). */
  readonly input: T;
  /**
   * Wraps the collecting run's `section`: marks its start and end, records a ValidationError
   * thrown in it, and drops any other error (a rule reading what is missing or of another kind:
   * a follow-on of a shape problem, which is reported).
   */
  readonly wrap: (section: ValidationSection) => ValidationSection;
  /**
   * The violations the run reported, less the markers and less every violation a section (or a
   * section around it) recorded after it read a broken field.
   */
  readonly keep: (reported: readonly Violation[]) => Violation[];
}

/** Whether a property key of an array is an element index. */
const INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * Tracks the reads of the fields at `brokenPaths` (config paths such as
 * `config/environments[0]/gitlab/url`; reads under them too) by the rules run on `input`, by
 * section (see {@link BrokenReads}). Only the objects at or above a broken field are seen through a
 * Proxy; reads through a copy a rule made (`{ ...env.gitlab }`) are not seen, and a value the Proxy
 * invariants forbid wrapping (a frozen object's property) is given as it is, unwatched below it.
 */
export function trackBrokenReads<T extends object>(config: T, brokenPaths: readonly string[]): BrokenReads<T> {
  const kinds = new Map<Violation, MarkerKind>();
  let serial = 0;
  const mark = (kind: MarkerKind): void => {
    const marker: Violation = { path: "config", subject: `(${kind} marker)`, value: serial++, rule: "none", fix: "none" };
    kinds.set(marker, kind);
    // Inside the collecting run, a failed check records the marker in order with the violations.
    check(false, marker);
  };
  /** Whether each running section (innermost last) has read a broken field. */
  const frames: boolean[] = [];
  const read = (path: string): void => {
    if (frames.length === 0 || frames[frames.length - 1] || !brokenPaths.some((broken) => isAtOrAbove(broken, path))) return;
    frames[frames.length - 1] = true;
    mark("read");
  };

  const proxies = new WeakMap<object, Map<string, object>>();
  const view = (value: unknown, path: string): unknown => {
    // Only the objects on the way to a broken field (and a broken object itself) are watched: a read
    // under any other object cannot be of a broken field, and the rules there run at full speed.
    if (typeof value !== "object" || value === null || !brokenPaths.some((broken) => isAtOrAbove(path, broken))) return value;
    let byPath = proxies.get(value);
    if (!byPath) proxies.set(value, (byPath = new Map()));
    let proxy = byPath.get(path);
    if (!proxy) byPath.set(path, (proxy = watched(value, path)));
    return proxy;
  };
  const childPath = (target: object, path: string, key: string | symbol): string | undefined => {
    if (typeof key === "symbol") return undefined;
    if (Array.isArray(target)) return INDEX.test(key) ? `${path}[${key}]` : undefined;
    return `${path}/${key}`;
  };
  const watched = (target: object, path: string): object =>
    new Proxy(target, {
      get(object, key) {
        const value: unknown = Reflect.get(object, key);
        const at = childPath(object, path, key);
        if (at === undefined) return value;
        read(at);
        const own = Reflect.getOwnPropertyDescriptor(object, key);
        // A non-configurable, non-writable property must be given as it is (Proxy invariant).
        return own && !own.configurable && !own.writable ? value : view(value, at);
      },
      has(object, key) {
        const at = childPath(object, path, key);
        if (at !== undefined) read(at);
        return Reflect.has(object, key);
      },
      getOwnPropertyDescriptor(object, key) {
        const at = childPath(object, path, key);
        if (at !== undefined) read(at);
        return Reflect.getOwnPropertyDescriptor(object, key);
      },
    });

  const wrap = (section: ValidationSection): ValidationSection => (body) =>
    section(() => {
      frames.push(false);
      mark("start");
      try {
        body();
      } catch (error) {
        // Recorded before the end marker, so that a read before the throw leaves it out.
        if (error instanceof ValidationError) for (const v of violationsOf(error)) check(false, v);
      } finally {
        mark("end");
        frames.pop();
      }
    });

  const keep = (reported: readonly Violation[]): Violation[] => {
    const open: boolean[] = [];
    const kept: Violation[] = [];
    for (const v of reported) {
      const kind = kinds.get(v);
      if (kind === "start") open.push(false);
      else if (kind === "read") open[open.length - 1] = true;
      else if (kind === "end") open.pop();
      else if (!open.includes(true)) kept.push(v);
    }
    return kept;
  };

  return { input: view(config, "config") as T, wrap, keep };
}
