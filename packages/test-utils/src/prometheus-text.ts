// A strict reader of Prometheus's text exposition format (version 0.0.4), so that tests check what
// a scraper would read, line by line, rather than search the text.

type PrometheusSample = { name: string; labels: Record<string, string>; value: number };
export type PrometheusScrape = {
  samples: PrometheusSample[];
  types: Map<string, string>;
  /** The sample's value; undefined when no sample has exactly this name and these labels. */
  value: (name: string, labels?: Record<string, string>) => number | undefined;
};

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"\s*(,|$)/y;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const SUFFIXES = ["_bucket", "_sum", "_count", "_total", "_created"];

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const suffix = SUFFIXES.find((s) => name.endsWith(s) && types.has(name.slice(0, -s.length)));
  return suffix ? name.slice(0, -suffix.length) : undefined;
}

// Prometheus reads values with Go's strconv.ParseFloat: NaN and Inf in any letter case
// (prom-client writes "Nan" for an empty event-loop histogram).
function parseValue(raw: string, line: string): number {
  const lower = raw.toLowerCase();
  if (lower === "+inf" || lower === "inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf") return Number.NEGATIVE_INFINITY;
  if (lower === "nan") return Number.NaN;
  const value = Number(raw);
  if (raw === "" || Number.isNaN(value)) throw new Error(`not a sample value: ${line}`);
  return value;
}

export function parsePrometheusText(text: string): PrometheusScrape {
  const samples: PrometheusSample[] = [];
  const types = new Map<string, string>();
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
      if (!meta) {
        if (/^# (HELP|TYPE)/.test(line)) throw new Error(`malformed ${line}`);
        continue;
      }
      if (meta[1] === "TYPE") {
        if (!TYPES.has(meta[3] as string)) throw new Error(`unknown type: ${line}`);
        if (types.has(meta[2] as string)) throw new Error(`type declared twice: ${line}`);
        types.set(meta[2] as string, meta[3] as string);
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const name = match[1] as string;
    if (!familyOf(name, types)) throw new Error(`sample before its # TYPE: ${line}`);
    const labels: Record<string, string> = {};
    const rawLabels = match[2] ?? "";
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < rawLabels.length) {
      const label = LABEL.exec(rawLabels);
      if (!label) throw new Error(`malformed labels: ${line}`);
      const key = label[1] as string;
      if (key in labels) throw new Error(`label ${key} twice: ${line}`);
      labels[key] = (label[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
      if (label[3] === "") break;
    }
    samples.push({ name, labels, value: parseValue(match[3] as string, line) });
  }
  return {
    samples,
    types,
    value: (name, labels = {}) => {
      const wanted = Object.entries(labels);
      return samples.find(
        (s) =>
          s.name === name &&
          Object.keys(s.labels).length === wanted.length &&
          wanted.every(([k, v]) => s.labels[k] === v),
      )?.value;
    },
  };
}
