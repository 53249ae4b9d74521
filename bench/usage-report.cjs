// Preloaded into a measured process (`node -r ./bench/usage-report.cjs ...`): at exit it writes
// the process's own CPU time (user + system, all its threads) and peak RSS as JSON to the file
// named by BENCH_USAGE_FILE. Child processes it starts are not counted.
"use strict";
const fs = require("node:fs");

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on("exit", () => {
    const cpu = process.cpuUsage();
    fs.writeFileSync(file, JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  });
}
