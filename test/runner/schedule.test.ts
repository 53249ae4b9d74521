import fc from "fast-check";
import { cronProblem, dateTimeFormatZone, officeHours, resolveTimeZone, timeZoneProblem, validateCapacity, validateSchedule } from "../../lib/runner/schedule";
import { violationOf } from "../support/synth";

const field = (min: number, max: number) =>
  fc.oneof(
    fc.constant("*"),
    fc.integer({ min, max }).map(String),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    fc.integer({ min: 1, max: max - min }).map((s) => `*/${s}`),
  );
const list = (min: number, max: number) => fc.array(field(min, max), { minLength: 1, maxLength: 3 }).map((items) => items.join(","));
const validCron = fc
  .tuple(list(0, 59), list(0, 23), list(1, 31), list(1, 12), list(0, 6))
  .map((fields) => fields.join(" "));

describe("cron expressions", () => {
  test.each(["0 7 * * MON-FRI", "*/15 6-20 * * 1-5", "30 0 1 1,6,12 *", "0 20 * JAN-DEC sun", "0 0 1-31/2 * *"])("accepts %p", (cron) => {
    expect(cronProblem(cron)).toBeUndefined();
  });

  test.each([
    ["0 7 * *", /has 4 fields/],
    ["0 0 7 * * MON-FRI", /has 6 fields/],
    ["60 7 * * *", /field 1 \(minute\) "60": "60" is outside 0-59/],
    ["0 24 * * *", /field 2 \(hour\) "24": "24" is outside 0-23/],
    ["0 7 0 * *", /field 3 \(day of month\).*outside 1-31/],
    ["0 7 * 13 *", /field 4 \(month\).*outside 1-12 or JAN-DEC/],
    ["0 7 * * 7", /field 5 \(day of week\).*outside 0-6 or SUN-SAT/],
    ["0 7 * * FRI-MON", /the range "FRI-MON" runs backwards/],
    ["0 7 ? * MON", /"\?" is not \*, a value/],
    ["0 7 * * 5/2", /a step needs \* or a range/],
    ["*/0 7 * * *", /the step 0 is not between 1 and 59/],
    ["0 7 L * *", /outside 1-31/],
  ])("rejects %p", (cron, problem) => {
    expect(cronProblem(cron)).toMatch(problem);
  });

  test("every generated valid expression passes (property)", () => {
    fc.assert(fc.property(validCron, (cron) => expect(cronProblem(cron)).toBeUndefined()));
  });

  test("an out-of-range value in any field is caught (property)", () => {
    const maxima = [59, 23, 31, 12, 6];
    fc.assert(
      fc.property(validCron, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 50 }), (cron, i, over) => {
        const fields = cron.split(" ");
        fields[i] = String(maxima[i]! + over);
        expect(cronProblem(fields.join(" "))).toMatch(new RegExp(`^field ${i + 1} `));
      }),
    );
  });
});

describe("time zones", () => {
  test.each(["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC", "Etc/UTC", "Etc/GMT+9", "Pacific/Tahiti"])("accepts %p", (tz) => {
    expect(timeZoneProblem(tz)).toBeUndefined();
  });

  test.each([
    ["Europe/Berln", /has no such zone/],
    ["+01:00", /not an IANA zone name/],
    ["CET+1", /has no such zone/],
    ["europe/berlin", /spelled Europe\/Berlin/],
    ["", /not an IANA zone name/],
  ])("rejects %p", (tz, problem) => {
    expect(timeZoneProblem(tz)).toMatch(problem);
  });

  test("the listed-zone shortcut gives what Intl.DateTimeFormat gives, for every zone the runtime lists, UTC, aliases and misspellings", () => {
    const listed = Intl.supportedValuesOf("timeZone");
    expect(listed.length).toBeGreaterThan(300);
    const names = [...listed, "UTC", "Etc/UTC", "Etc/GMT", "GMT", "US/Eastern", "Asia/Calcutta", "Asia/Kolkata", "europe/berlin", "Europe/Berln", "CET+1", "utc"];
    for (const name of names) expect({ name, resolved: resolveTimeZone(name) }).toEqual({ name, resolved: dateTimeFormatZone(name) });
    // An alias is not taken for its own canonical name: DateTimeFormat's answer differs from the name.
    expect(resolveTimeZone("US/Eastern")).not.toBe("US/Eastern");
    expect(resolveTimeZone("Europe/Berln")).toBeUndefined();
  });
});

describe("officeHours", () => {
  test("starts on working days and stops to zero in the evening, in the office's zone", () => {
    expect(officeHours({ timeZone: "Europe/Berlin", minSize: 1, maxSize: 4 })).toEqual([
      { name: "office-hours-start", cron: "0 7 * * MON-FRI", timeZone: "Europe/Berlin", minSize: 1, maxSize: 4 },
      { name: "office-hours-end", cron: "0 20 * * MON-FRI", timeZone: "Europe/Berlin", minSize: 0, maxSize: 0, desiredCapacity: 0 },
    ]);
    for (const s of officeHours({ timeZone: "UTC", minSize: 1, maxSize: 2, startHour: 6, endHour: 22, days: "1-6" })) {
      expect(() => validateSchedule("p", s, true)).not.toThrow();
    }
  });
});

describe("schedule validation", () => {
  const good = { name: "night", cron: "0 20 * * *", timeZone: "Europe/Berlin", minSize: 0, maxSize: 0, desiredCapacity: 0 };

  test("an invalid cron expression names the path, value, rule and fix", () => {
    const error = violationOf(() => validateSchedule("dev/fleet/schedules[0]", { ...good, cron: "0 25 * * *" }, true));
    expect(error.message).toBe(
      'dev/fleet/schedules[0]: invalid cron expression "0 25 * * *". Rule: a five-field Unix cron expression (minute hour day-of-month month day-of-week), but field 2 (hour) "25": "25" is outside 0-23. Fix: write e.g. "0 7 * * MON-FRI" (07:00 on working days)',
    );
  });

  test("an invalid time zone", () => {
    const error = violationOf(() => validateSchedule("dev/fleet/schedules[1]", { ...good, timeZone: "Mars/Olympus" }, true));
    expect(error.message).toMatch(/^dev\/fleet\/schedules\[1\]: invalid time zone "Mars\/Olympus"\. Rule: an IANA time zone name, but the IANA time zone database has no such zone\. Fix: use a name such as Europe\/Berlin/);
  });

  test("a schedule that changes nothing", () => {
    const error = violationOf(() => validateSchedule("p", { name: "x", cron: "0 7 * * *", timeZone: "UTC" }, false));
    expect(error.rule).toMatch(/changes at least one of minSize, maxSize, desiredCapacity/);
  });

  test("a bad name", () => {
    expect(violationOf(() => validateSchedule("p", { ...good, name: "night shift" }, false)).message).toMatch(/invalid schedule name "night shift"/);
  });

  test("zero hosts allowed while more are possible, with job-slot scaling", () => {
    const error = violationOf(() => validateSchedule("p", { ...good, maxSize: 3, desiredCapacity: undefined }, true));
    expect(error.message).toMatch(/invalid schedule minSize 0 \{"minSize":0,"maxSize":3\}\. Rule: with job-slot scaling a fleet at zero hosts can never scale out again.*Fix: set maxSize: 0/);
    expect(() => validateSchedule("p", { ...good, maxSize: 3, desiredCapacity: undefined }, false)).not.toThrow();
  });
});

describe("capacity validation", () => {
  test("min > max", () => {
    const error = violationOf(() => validateCapacity("dev/fleet", "capacity", { minSize: 3, maxSize: 2 }));
    expect(error.message).toBe(
      'dev/fleet: invalid capacity minSize > maxSize {"minSize":3,"maxSize":2}. Rule: minSize ≤ maxSize. Fix: raise maxSize to at least 3 or lower minSize',
    );
  });

  test.each([
    [{ minSize: 1, maxSize: 3, desiredCapacity: 4 }],
    [{ minSize: 1, maxSize: 3, desiredCapacity: 0 }],
  ])("desired outside [min, max]: %p", (c) => {
    const error = violationOf(() => validateCapacity("dev/fleet", "capacity", c));
    expect(error.message).toMatch(/^dev\/fleet: invalid capacity\.desiredCapacity .*Rule: desiredCapacity lies within \[minSize, maxSize\]\. Fix: set desiredCapacity between 1 and 3, or leave it unset/);
  });

  test.each([-1, 1.5])("a size that is not a whole number ≥ 0: %p", (minSize) => {
    expect(violationOf(() => validateCapacity("p", "capacity", { minSize, maxSize: 2 })).message).toMatch(/invalid capacity\.minSize .*Rule: a group size is a whole number ≥ 0/);
  });
});
