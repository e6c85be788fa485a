// The official MJML JavaScript API on one MJML file: median and best milliseconds of mjml2html,
// after a few warm-up runs in the same process (as the Python side is timed warm).
//   node bench/mjml_js.js FILE.mjml [RUNS]     (with mjml on NODE_PATH)
const mjml2html = require("mjml");
const fs = require("fs");
const source = fs.readFileSync(process.argv[2], "utf8");
const runs = parseInt(process.argv[3] || "30", 10);
for (let i = 0; i < 5; i++) mjml2html(source, { validationLevel: "soft" });
const times = [];
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  mjml2html(source, { validationLevel: "soft" });
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
const version = require("mjml/package.json").version;
console.log(JSON.stringify({ median_ms: times[Math.floor(runs / 2)], best_ms: times[0], version }));
