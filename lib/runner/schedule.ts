import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";

/**
 * A scheduled change of the fleet's size (`aws_autoscaling_schedule`), e.g.
 * scale to zero at night and on weekends. Unset sizes stay as they are.
 */
export interface RunnerSchedule {
  /** Scheduled action name, unique within the fleet, e.g. `office-hours-start`. */
  readonly name: string;
  /** Unix cron expression with five fields: minute hour day-of-month month day-of-week, e.g. `0 7 * * MON-FRI`. */
  readonly cron: string;
  /** IANA time zone the cron expression is read in, e.g. `Europe/Berlin` (AWS's default would be UTC). */
  readonly timeZone: string;
  /**
   * New minimum size.
   * @default unchanged
   */
  readonly minSize?: number;
  /**
   * New maximum size.
   * @default unchanged
   */
  readonly maxSize?: number;
  /**
   * New desired capacity.
   * @default unchanged
   */
  readonly desiredCapacity?: number;
}

/** Options of {@link officeHours}. */
export interface OfficeHoursOptions {
  /** IANA time zone of the office, e.g. `Europe/Berlin`. */
  readonly timeZone: string;
  /**
   * Working days, as a cron day-of-week field.
   * @default "MON-FRI"
   */
  readonly days?: string;
  /**
   * Hour (0-23) at which the fleet starts.
   * @default 7
   */
  readonly startHour?: number;
  /**
   * Hour (0-23) at which the fleet scales to zero; running jobs still finish (drain).
   * @default 20
   */
  readonly endHour?: number;
  /** Minimum size during office hours (at least 1 when job-slot scaling is on). */
  readonly minSize: number;
  /** Maximum size during office hours. */
  readonly maxSize: number;
}

/**
 * Two schedules: up to `minSize`..`maxSize` at `startHour` on working days, and
 * down to zero (min = max = desired = 0) at `endHour`, so the fleet costs
 * nothing at night and on weekends. Scale-in drains hosts: jobs that are still
 * running at `endHour` finish first.
 * @param path where the options are configured, for error messages
 * @throws ValidationError when an hour is not 0-23 or the start is not before the end
 */
export function officeHours(options: OfficeHoursOptions, path = "officeHours"): RunnerSchedule[] {
  const days = options.days ?? "MON-FRI";
  const start = options.startHour ?? 7;
  const end = options.endHour ?? 20;
  for (const [key, hour] of [["startHour", start], ["endHour", end]] as const) {
    check(Number.isInteger(hour) && hour >= 0 && hour <= 23, {
      path,
      subject: key,
      value: hour,
      rule: "an hour of the day, a whole number from 0 to 23",
      fix: "use e.g. startHour 7 and endHour 20",
    });
  }
  check(start < end, {
    path,
    subject: "startHour and endHour",
    value: { startHour: start, endHour: end },
    rule: "office hours start before they end on the same day; a start at or after the end would stop the fleet as soon as (or before) it starts",
    fix: `swap them (startHour ${Math.min(start, end)}, endHour ${Math.max(start, end)}), or write two RunnerSchedules for a shift across midnight`,
  });
  return [
    {
      name: "office-hours-start",
      cron: `0 ${start} * * ${days}`,
      timeZone: options.timeZone,
      minSize: options.minSize,
      maxSize: options.maxSize,
    },
    { name: "office-hours-end", cron: `0 ${end} * * ${days}`, timeZone: options.timeZone, minSize: 0, maxSize: 0, desiredCapacity: 0 },
  ];
}

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const CRON_FIELDS: readonly CronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { name: "day of week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

/**
 * The first problem of a five-field Unix cron expression as Auto Scaling reads
 * it (`[Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week]`), or
 * undefined when it is valid. Each field is a comma list of `*`, `n`, `a-b`,
 * optionally with `/step` after `*` or a range; months and days of the week
 * may be names (`JAN`, `MON`). Quartz extras (`?`, `L`, `W`, `#`, seconds) are not cron.
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (expression.length > 255) return "the expression is longer than 255 characters";
  if (fields.length !== 5) return `it has ${fields.length} fields, cron has 5: minute hour day-of-month month day-of-week`;
  for (let i = 0; i < 5; i++) {
    const problem = fieldProblem(fields[i]!, CRON_FIELDS[i]!);
    if (problem) return `field ${i + 1} (${CRON_FIELDS[i]!.name}) ${JSON.stringify(fields[i])}: ${problem}`;
  }
  return undefined;
}

function fieldProblem(field: string, spec: CronField): string | undefined {
  const range = `${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ""}`;
  const value = (text: string): number | undefined => {
    if (/^\d+$/.test(text)) return Number(text);
    const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
    return index >= 0 ? index + spec.min : undefined;
  };
  for (const item of field.split(",")) {
    const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!m) return `"${item}" is not *, a value, a range a-b or one of those with /step`;
    const [, base, step] = m;
    let low = spec.min;
    let high = spec.max;
    if (base !== "*") {
      const [a, b] = base!.split("-");
      low = value(a!) ?? NaN;
      high = b === undefined ? low : (value(b) ?? NaN);
      if (Number.isNaN(low) || Number.isNaN(high) || low < spec.min || high > spec.max) return `"${item}" is outside ${range}`;
      if (low > high) return `the range "${base}" runs backwards`;
      if (step !== undefined && b === undefined) return `a step needs * or a range before it, e.g. */${step}`;
    }
    if (step !== undefined && (Number(step) < 1 || Number(step) > spec.max - spec.min)) {
      return `the step ${step} is not between 1 and ${spec.max - spec.min}`;
    }
  }
  return undefined;
}

const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * The problem of an IANA time zone name, or undefined when it is valid:
 * it must be known to the runtime's time zone database (`Intl`) and spelled
 * with its exact case; offsets such as `+01:00` are not zone names.
 */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (!IANA_NAME.test(timeZone)) return "it is not an IANA zone name (Area/Location such as Europe/Berlin, or UTC)";
  const resolved = resolveTimeZone(timeZone);
  if (resolved === undefined) return "the IANA time zone database has no such zone";
  if (resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase()) return `the zone is spelled ${resolved}`;
  return undefined;
}

/**
 * Checks an IANA time zone name by {@link timeZoneProblem}: the one rule of the fleet's schedules
 * and the docker-autoscaler's policies.
 * @param subject how the caller names the field (`time zone` of a schedule, `timeZone` of a policy)
 * @throws ValidationError naming `path`, the zone, the problem and the fix
 */
export function validateTimeZone(path: string, subject: string, timeZone: string): void {
  const zone = timeZoneProblem(timeZone);
  check(zone === undefined, {
    path,
    subject,
    value: timeZone,
    rule: `an IANA time zone name, but ${zone}`,
    fix: "use a name such as Europe/Berlin, America/New_York or UTC",
  });
}

const resolvedTimeZones = new Map<string, string | undefined>();

/** The runtime's canonical zone names (`Intl.supportedValuesOf("timeZone")`), read on first use. */
let canonicalTimeZones: ReadonlySet<string> | undefined;

/**
 * The runtime's canonical name of a zone, or undefined; cached. A name the runtime lists as
 * canonical (`Intl.supportedValuesOf("timeZone")`, ECMA-402 2022), and `UTC` (which ECMA-402
 * requires every implementation to support, and which Node.js does not list), is its own canonical
 * name, so it needs no `Intl.DateTimeFormat`: the first one loads the locale and calendar data
 * (~20 ms of CPU, a tenth of the app's construction). Any other name (an alias such as `Etc/UTC`
 * or `US/Eastern`, a misspelling) is resolved by `Intl.DateTimeFormat` as before;
 * `test/runner/schedule.test.ts` checks that both give the same answer for every listed zone.
 */
export function resolveTimeZone(timeZone: string): string | undefined {
  if (!resolvedTimeZones.has(timeZone)) {
    canonicalTimeZones ??= new Set(typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []);
    resolvedTimeZones.set(timeZone, timeZone === "UTC" || canonicalTimeZones.has(timeZone) ? timeZone : dateTimeFormatZone(timeZone));
  }
  return resolvedTimeZones.get(timeZone);
}

/** The zone `Intl.DateTimeFormat` resolves a name to, or undefined when it refuses the name. */
export function dateTimeFormatZone(timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Sizes of an Auto Scaling group (or of a scheduled change to it). */
export interface CapacityValues {
  readonly minSize?: number;
  readonly maxSize?: number;
  readonly desiredCapacity?: number;
}

/** Checks that sizes are whole numbers ≥ 0, min ≤ max and min ≤ desired ≤ max (for the sizes given). */
export function validateCapacity(path: string, subject: string, c: CapacityValues): void {
  for (const key of ["minSize", "maxSize", "desiredCapacity"] as const) {
    const v = c[key];
    if (v === undefined || isUnresolved(v)) continue;
    check(Number.isInteger(v) && v >= 0, {
      path,
      subject: `${subject}.${key}`,
      value: v,
      rule: "a group size is a whole number ≥ 0",
      fix: `set ${key} to 0 or more`,
    });
  }
  const { minSize: min, maxSize: max, desiredCapacity: desired } = c;
  if (min !== undefined && max !== undefined) {
    check(min <= max, {
      path,
      subject: `${subject} minSize > maxSize`,
      value: { minSize: min, maxSize: max },
      rule: "minSize ≤ maxSize",
      fix: `raise maxSize to at least ${min} or lower minSize`,
    });
  }
  if (desired !== undefined) {
    check((min === undefined || desired >= min) && (max === undefined || desired <= max), {
      path,
      subject: `${subject}.desiredCapacity`,
      value: { minSize: min, desiredCapacity: desired, maxSize: max },
      rule: "desiredCapacity lies within [minSize, maxSize]",
      fix: `set desiredCapacity between ${min ?? 0} and ${max ?? "maxSize"}, or leave it unset`,
    });
  }
}

/**
 * Checks one schedule: its name, cron expression, time zone and sizes; and,
 * when job-slot scaling is on, that it never leaves the fleet at zero hosts
 * while allowing more (nobody would publish the utilisation metric, so the
 * group could never scale out again).
 */
export function validateSchedule(path: string, schedule: RunnerSchedule, jobSlotScaling: boolean): void {
  check(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(schedule.name), {
    path,
    subject: "schedule name",
    value: schedule.name,
    rule: "1-255 letters, digits, '.', '_' and '-' (the scheduled action name)",
    fix: "use a name such as office-hours-start",
  });
  const cron = cronProblem(schedule.cron);
  check(cron === undefined, {
    path,
    subject: "cron expression",
    value: schedule.cron,
    rule: `a five-field Unix cron expression (minute hour day-of-month month day-of-week), but ${cron}`,
    fix: 'write e.g. "0 7 * * MON-FRI" (07:00 on working days)',
  });
  validateTimeZone(path, "time zone", schedule.timeZone);
  check(schedule.minSize !== undefined || schedule.maxSize !== undefined || schedule.desiredCapacity !== undefined, {
    path,
    subject: "schedule sizes",
    value: schedule,
    rule: "a scheduled action changes at least one of minSize, maxSize, desiredCapacity",
    fix: "set the sizes the schedule should apply",
  });
  validateCapacity(path, "schedule", schedule);
  if (jobSlotScaling && schedule.minSize === 0) {
    check(schedule.maxSize === 0, {
      path,
      subject: "schedule minSize 0",
      value: { minSize: schedule.minSize, maxSize: schedule.maxSize },
      rule: "with job-slot scaling a fleet at zero hosts can never scale out again (no host publishes the metric), so a schedule that allows zero hosts must also set maxSize 0 (fleet off)",
      fix: "set maxSize: 0 and desiredCapacity: 0 for an off period, or keep minSize ≥ 1",
    });
  }
}
