import fc from "fast-check";
import { validateGitLabUrl } from "../../lib/core/gitlab-url";
import { check, collectViolations, formatViolation, ValidationError, ValidationErrors, type Violation, violationsIn, violationsOf } from "../../lib/core/errors";

const violation = (path: string, value: unknown = "x"): Violation => ({ path, subject: "field", value, rule: `rule of ${path}`, fix: "fix it" });

describe("check", () => {
  test("throws a ValidationError outside a collection", () => {
    expect(() => check(false, violation("a"))).toThrow(new ValidationError(violation("a")));
    expect(() => check(true, violation("a"))).not.toThrow();
  });
});

describe("collectViolations", () => {
  test("records every failed check and throws them together, first one first", () => {
    let reachedEnd = false;
    const error = (() => {
      try {
        collectViolations(() => {
          check(false, violation("config/a"));
          check(true, violation("config/b"));
          check(false, violation("config/c"));
          reachedEnd = true;
        });
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error("nothing thrown");
    })();
    expect(reachedEnd).toBe(true);
    expect(error).toBeInstanceOf(ValidationErrors);
    expect(violationsOf(error).map((v) => v.path)).toEqual(["config/a", "config/c"]);
    expect(error.path).toBe("config/a");
    expect(error.message).toBe(`${formatViolation(violation("config/a"))}\n${formatViolation(violation("config/c"))}`);
  });

  test("one violation is a plain ValidationError with the message check would have thrown", () => {
    expect(() => collectViolations(() => check(false, violation("config/a")))).toThrow(
      expect.objectContaining({ name: "ValidationError", message: formatViolation(violation("config/a")) }) as Error,
    );
  });

  test("returns fn's result when nothing is violated", () => {
    expect(collectViolations(() => 42)).toBe(42);
  });

  test("a follow-on TypeError after a recorded violation does not hide the other sections", () => {
    const config = { accounts: "not a list" as unknown as string[], project: "Bad Name" };
    let error: unknown;
    try {
      collectViolations((section) => {
        section(() => {
          check(Array.isArray(config.accounts), violation("config/accounts", config.accounts));
          config.accounts.forEach(() => undefined); // would throw TypeError: follow-on, dropped
        });
        section(() => check(/^[a-z]+$/.test(config.project), violation("config/project", config.project)));
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationErrors);
    expect(violationsOf(error as ValidationError).map((v) => v.path)).toEqual(["config/accounts", "config/project"]);
  });

  test("an error in a section that recorded nothing is a defect and propagates", () => {
    expect(() =>
      collectViolations((section) => {
        section(() => check(false, violation("config/a")));
        section(() => {
          throw new TypeError("bug");
        });
      }),
    ).toThrow(TypeError);
  });

  test("a thrown ValidationError (from code that throws instead of calling check) is recorded and the next section runs", () => {
    let error: unknown;
    try {
      collectViolations((section) => {
        section(() => {
          throw new ValidationError(violation("config/thrown"));
        });
        section(() => check(false, violation("config/next")));
      });
    } catch (e) {
      error = e;
    }
    expect(violationsOf(error as ValidationError).map((v) => v.path)).toEqual(["config/thrown", "config/next"]);
  });

  test("the same subject, value and rule at two paths is two lines: each path needs its own fix", () => {
    const expiry = (path: string): Violation => ({ path, subject: "expirationDays", value: 0, rule: "a whole number of days, at least 1", fix: "use e.g. 14" });
    const error = (() => {
      try {
        collectViolations(() => {
          check(false, expiry("config/environments[0]/cache"));
          check(false, expiry("config/environments[1]/cache"));
        });
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error("no error");
    })();
    expect(violationsOf(error).map((v) => v.path)).toEqual(["config/environments[0]/cache", "config/environments[1]/cache"]);
    expect(error.message.split("\n")).toHaveLength(2);
  });

  test("a true repeat (same path, subject and value: a value re-checked where it is owned) is one line", () => {
    const project: Violation = { path: "config/project", subject: "project name", value: "Bad", rule: "lower case", fix: "rename" };
    expect(() =>
      collectViolations(() => {
        check(false, project);
        check(false, { ...project });
        check(false, { ...project });
      }),
    ).toThrow(new ValidationError(project));
  });

  test("property: the distinct (path, subject, value) triples found are exactly the lines reported, first found first", () => {
    const paths = fc.constantFrom("config/project", "config/environments[0]/cache", "config/environments[1]/cache", "config/accounts[0]");
    const entry = fc.record({ path: paths, subject: fc.constantFrom("a", "b"), value: fc.constantFrom<unknown>(0, "x", [1]), rule: fc.constantFrom("r1", "r2") });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 10 }), (entries) => {
        const found = entries.map((e): Violation => ({ ...e, fix: "fix it" }));
        let error: unknown;
        try {
          collectViolations(() => found.forEach((v) => check(false, v)));
        } catch (e) {
          error = e;
        }
        const key = (v: Violation) => JSON.stringify([v.path, v.subject, v.value]);
        const expected = found.filter((v, i) => found.findIndex((w) => key(w) === key(v)) === i);
        const reported = violationsOf(error as ValidationError).map(({ path, subject, value, rule, fix }) => ({ path, subject, value, rule, fix }));
        expect(reported).toEqual(expected);
      }),
    );
  });

  test("one value at one path breaking two rules is one line, with the first (most specific) rule", () => {
    const first: Violation = { path: "config/environments[0]/gitlab", subject: "GitLab URL", value: "https://h:8443", rule: "no port", fix: "drop the port" };
    const second: Violation = { ...first, rule: "https://<host> only", fix: "use https://h" };
    const elsewhere: Violation = { ...first, path: "config/environments[1]/gitlab", value: "http://h", rule: "https://<host> only" };
    const error = (() => {
      try {
        collectViolations(() => [first, second, elsewhere].forEach((v) => check(false, v)));
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error("no error");
    })();
    expect(violationsOf(error)).toEqual([first, elsewhere]);
  });

  test("the GitLab URL with a port is reported once (not also as a malformed URL)", () => {
    let error: unknown;
    try {
      collectViolations(() => validateGitLabUrl("config/environments[0]/gitlab", "https://gitlab.example.com:8443"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(violationsOf(error as ValidationError).map((v) => v.rule)).toEqual([expect.stringMatching(/carries no port/)]);
  });

  test("nested collections join the outer one; check throws again after the collection ends", () => {
    let error: unknown;
    try {
      collectViolations((section) => {
        section(() => collectViolations(() => check(false, violation("config/inner"))));
        check(false, violation("config/outer"));
      });
    } catch (e) {
      error = e;
    }
    expect(violationsOf(error as ValidationError).map((v) => v.path)).toEqual(["config/inner", "config/outer"]);
    expect(() => check(false, violation("after"))).toThrow(ValidationError);
  });

  test("property: every failed check of independent sections is reported, in order", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 12 }), (outcomes) => {
        const failing = outcomes.flatMap((ok, i) => (ok ? [] : [`config/s${i}`]));
        let error: unknown;
        try {
          collectViolations((section) => outcomes.forEach((ok, i) => section(() => check(ok, violation(`config/s${i}`, i)))));
        } catch (e) {
          error = e;
        }
        if (failing.length === 0) return error === undefined;
        return JSON.stringify(violationsOf(error as ValidationError).map((v) => v.path)) === JSON.stringify(failing);
      }),
    );
  });
});

describe("violationsIn", () => {
  test("inside a collection, the inner checks' violations are returned, not added to the outer collection; the outer check still is", () => {
    let inner: readonly Violation[] = [];
    let thrown: unknown;
    try {
      collectViolations(() => {
        inner = violationsIn(() => {
          check(false, violation("inner/a"));
          check(false, violation("inner/b"));
        });
        check(false, violation("outer"));
      });
    } catch (error) {
      thrown = error;
    }
    expect(inner.map((i) => i.path)).toEqual(["inner/a", "inner/b"]);
    expect(thrown instanceof ValidationError ? violationsOf(thrown).map((i) => i.path) : thrown).toEqual(["outer"]);
  });

  test("outside a collection: a thrown ValidationError's violations are returned, none found is empty, another error before any violation propagates, after one it is dropped as a follow-on", () => {
    const throwing = (error: Error) => () => {
      throw error;
    };
    expect(violationsIn(throwing(new ValidationErrors([violation("a"), violation("b")]))).map((i) => i.path)).toEqual(["a", "b"]);
    expect(violationsIn(() => undefined)).toEqual([]);
    expect(() => violationsIn(throwing(new TypeError("defect")))).toThrow(TypeError);
    expect(
      violationsIn(() => {
        check(false, violation("first"));
        throw new TypeError("follow-on");
      }).map((i) => i.path),
    ).toEqual(["first"]);
  });
});
