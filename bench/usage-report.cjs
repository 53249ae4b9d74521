// Preloaded into a measured process (`node -r ./bench/usage-report.cjs ...`): at exit it writes
// the process's own CPU time (user + system, all its threads) and peak RSS as JSON to the file
// named by BENCH_USAGE_FILE. Child processes it starts are not counted.
//
// The report must be the last "exit" listener: the app command's code cache
// (stacks/compile-cache.cjs, preloaded after this file) writes its entries in an "exit" listener
// of its own, and on a first synth that is real work the process does. Listeners run in the order
// they were added, so the report is added once at preload (a process that exits before the main
// module finished still reports) and moved to the end once the main module's synchronous code
// has run (process.nextTick), after every preloaded module and the app added theirs.
"use strict";
const fs = require("node:fs");

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  const report = () => {
    const cpu = process.cpuUsage();
    fs.writeFileSync(file, JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  };
  process.on("exit", report);
  process.nextTick(() => {
    process.removeListener("exit", report);
    process.on("exit", report);
  });
}
