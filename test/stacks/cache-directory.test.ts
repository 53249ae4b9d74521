/**
 * One rule for the three cache variables (stacks/cache-directory.cjs, read by stacks/register.cjs,
 * main.ts and the jest set-up): `0` is off, unset, empty or `1` the default directory, anything
 * else the named directory. PLATFORM_RULE_CACHE="" used to turn the findings cache off while an
 * empty PLATFORM_TS_CACHE or PLATFORM_COMPILE_CACHE meant the default.
 */
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { setProcessEnv } from "../support/env";

const { cacheDirectory } = require("../../stacks/cache-directory.cjs") as {
  cacheDirectory: (variable: string, fallback: string | (() => string), env?: NodeJS.ProcessEnv) => string | undefined;
};
const globalSetup = require("../support/global-setup.cjs") as () => Promise<void>;

const VARIABLES = ["PLATFORM_TS_CACHE", "PLATFORM_COMPILE_CACHE", "PLATFORM_RULE_CACHE"];

test.each(VARIABLES)("%s: 0 is off; unset, empty or 1 the default; else the directory", (variable) => {
  const read = (value: string | undefined) => cacheDirectory(variable, "/default", value === undefined ? {} : { [variable]: value });
  expect([read("0"), read(undefined), read(""), read("1"), read("x/y")]).toEqual([undefined, "/default", "/default", "/default", path.resolve("x/y")]);
});

test("the default directory is made only when it is used", () => {
  let made = 0;
  const fallback = () => `/made-${++made}`;
  expect(cacheDirectory("PLATFORM_RULE_CACHE", fallback, { PLATFORM_RULE_CACHE: "0" })).toBeUndefined();
  expect(cacheDirectory("PLATFORM_RULE_CACHE", fallback, { PLATFORM_RULE_CACHE: "/given" })).toBe("/given");
  expect(made).toBe(0);
  expect(cacheDirectory("PLATFORM_RULE_CACHE", fallback, { PLATFORM_RULE_CACHE: "" })).toBe("/made-1");
});

test('fault: the test set-up read PLATFORM_RULE_CACHE="" as off; it is the default (a fresh directory), and 0 stays off', async () => {
  const restore = setProcessEnv({ PLATFORM_RULE_CACHE: "", PLATFORM_JEST_RULE_CACHE: "" });
  try {
    await globalSetup();
    const fresh = process.env.PLATFORM_RULE_CACHE!;
    expect(fresh).not.toBe("");
    expect(existsSync(fresh)).toBe(true);
    expect(process.env.PLATFORM_JEST_RULE_CACHE).toBe(fresh);
    rmSync(fresh, { recursive: true, force: true });
    process.env.PLATFORM_RULE_CACHE = "0";
    process.env.PLATFORM_JEST_RULE_CACHE = "";
    await globalSetup();
    expect([process.env.PLATFORM_RULE_CACHE, process.env.PLATFORM_JEST_RULE_CACHE]).toEqual(["0", ""]);
  } finally {
    restore();
  }
});
