// Part of the app command's set-up (loaded by stacks/register.cjs): cdktf 0.21 records a complete
// stack trace for every token it creates (Lazy values, references, Fn calls, the complex lists
// every provider class allocates; `captureStackTrace` in cdktf/lib/tokens/private/stack-trace.js,
// with Error.stackTraceLimit raised to the maximum) and formats it at once. It is printed only when
// a token cannot be resolved ("Object creation stack" in cdktf/lib/tokens/resolvable.js, and the
// errors of intrinsic tokens). cdktf has no switch for it (`new App({ stackTraces: false })` only
// keeps traces out of annotation metadata), so the app command replaces the function with one that
// records nothing: cdktf's call sites read it from the module's exports at each call.
//
// Cost: an unresolvable token's error has no creation stack (the message and the construct path
// cdktf and this library print stay). PLATFORM_TOKEN_STACK_TRACES=1 keeps cdktf's traces, e.g. to
// debug such an error. Measured in bench/README.md.
"use strict";

/** Turns off cdktf's token creation stacks unless PLATFORM_TOKEN_STACK_TRACES=1; returns whether it did. */
function skipTokenStackTraces() {
  if (process.env.PLATFORM_TOKEN_STACK_TRACES === "1") return false;
  const traces = require("cdktf/lib/tokens/private/stack-trace");
  if (typeof traces.captureStackTrace !== "function") return false;
  traces.captureStackTrace = function captureStackTrace() {
    return [];
  };
  return true;
}

module.exports = { skipTokenStackTraces };
