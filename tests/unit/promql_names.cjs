// Reads a JSON list of PromQL expressions on stdin; prints, for each, {"errors": n, "names": [metric names]}.
// Parsed by Prometheus's own grammar (@prometheus-io/lezer-promql, a dev dependency in package.json).
const path = require("path");
const { parser } = require(path.join(__dirname, "..", "..", "node_modules", "@prometheus-io", "lezer-promql"));

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const out = JSON.parse(input).map((expr) => {
    const result = { errors: 0, names: [] };
    parser.parse(expr).iterate({
      enter(node) {
        if (node.type.isError) result.errors += 1;
        if (node.name === "Identifier" && node.node.parent && node.node.parent.name === "VectorSelector") {
          result.names.push(expr.slice(node.from, node.to));
        }
      },
    });
    return result;
  });
  process.stdout.write(JSON.stringify(out));
});
