import Table from "cli-table3";
import type { AnalysisAnswer, AnalysisProgress, Finding, Page, Scan } from "./api.js";
import { describeGates, type FailingFinding, type GateResult, type Gates, riskScoreOf } from "./gates.js";

export const OUTPUT_FORMATS = ["table", "json", "markdown"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Rows in a Markdown comment: GitHub refuses comments over 65,536 characters. */
const MARKDOWN_ROWS = 50;

export type UploadOutcome = {
  scan: Scan;
  duplicate: boolean;
  findingsIngested: number | undefined;
  analysis: AnalysisProgress | null;
  gates: Gates;
  result: GateResult | null;
};

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

// No colours: the same text reads right in a terminal, a CI log and a file.
function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  t.push(...rows);
  return `${t.toString()}\n`;
}

const cut = (text: string | null | undefined, max = 40) => {
  const value = text ?? "";
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
};

const kevCell = (f: Finding) => {
  const kev = f.exploitation?.kev_listed;
  return kev === true ? "yes" : kev === false ? "no" : "?";
};

const llmCell = (f: Finding) =>
  f.llm_analysis_risk_score !== null ? String(f.llm_analysis_risk_score) : (f.llm_analysis_status ?? "-");

function findingRow(f: Finding): (string | number)[] {
  return [
    f.id,
    f.severity,
    f.vulnerability_id ?? "",
    cut(f.pkg_name, 30),
    cut(f.installed_version, 24),
    cut(f.fixed_version, 24) || "-",
    riskScoreOf(f) ?? "-",
    kevCell(f),
    llmCell(f),
  ];
}

const FINDING_HEAD = [
  "ID",
  "Severity",
  "Vulnerability",
  "Package",
  "Installed",
  "Fixed",
  "Risk",
  "KEV",
  "LLM",
];

function severityCounts(scan: Scan): string {
  return [
    `${scan.critical_count} critical`,
    `${scan.high_count} high`,
    `${scan.medium_count} medium`,
    `${scan.low_count} low`,
    `${scan.unknown_count} unknown`,
  ].join(", ");
}

/** Markdown cell text: untrusted (image contents, model output), so it can neither break the table nor inject HTML. */
function md(text: string | number | null | undefined): string {
  return String(text ?? "")
    .replace(/\s+/g, " ")
    .replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`)
    .trim();
}

function mdLink(text: string, url: string | null): string {
  if (!url || !/^https?:\/\/[^\s()<>]+$/.test(url)) return md(text);
  return `[${md(text)}](${url})`;
}

export function renderFindings(findings: Finding[], format: OutputFormat): string {
  if (format === "json") return json(findings);
  if (format === "markdown")
    return markdownFindings(
      findings.map((finding) => ({ finding, reasons: [] })),
      false,
    );
  if (findings.length === 0) return "No findings.\n";
  return table(FINDING_HEAD, findings.map(findingRow));
}

function markdownFindings(rows: FailingFinding[], withReasons: boolean): string {
  if (rows.length === 0) return "";
  const head = ["Severity", "Vulnerability", "Package", "Installed", "Fixed", "Risk", "KEV", "LLM summary"];
  if (withReasons) head.push("Failed on");
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const { finding: f, reasons } of rows.slice(0, MARKDOWN_ROWS)) {
    const cells = [
      md(f.severity),
      mdLink(f.vulnerability_id ?? "", f.primary_url),
      md(f.pkg_name),
      md(f.installed_version),
      md(f.fixed_version) || "—",
      md(riskScoreOf(f) ?? "—"),
      kevCell(f) === "yes" ? "**yes**" : kevCell(f),
      md(cut(f.llm_analysis_summary, 160)) || "—",
    ];
    if (withReasons) cells.push(md(reasons.join(", ")));
    lines.push(`| ${cells.join(" | ")} |`);
  }
  if (rows.length > MARKDOWN_ROWS) lines.push("", `…and ${rows.length - MARKDOWN_ROWS} more.`);
  return `${lines.join("\n")}\n`;
}

export function renderScans(page: Page<Scan>, format: OutputFormat): string {
  if (format === "json") return json(page);
  const rows = page.items.map((s) => [
    s.id,
    s.image_name ?? "",
    s.ingested_at,
    s.finding_count,
    s.critical_count,
    s.high_count,
    s.kev_count ?? "?",
    s.max_risk_score ?? "-",
  ]);
  const head = ["ID", "Image", "Ingested", "Findings", "Critical", "High", "KEV", "Max risk"];
  const footer = `${page.items.length} of ${page.total} scans (offset ${page.offset})\n`;
  if (format === "markdown") {
    const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
    for (const row of rows) lines.push(`| ${row.map(md).join(" | ")} |`);
    return `${lines.join("\n")}\n\n${footer}`;
  }
  return page.items.length === 0 ? footer : table(head, rows) + footer;
}

export function renderAnalysis(answer: AnalysisAnswer, format: OutputFormat): string {
  if (format === "json") return json(answer);
  const heading = format === "markdown" ? (t: string) => `### ${t}` : (t: string) => `${t}:`;
  const text = format === "markdown" ? md : (t: string | number | null | undefined) => String(t ?? "");
  const lines = [`Finding ${answer.finding_id}: ${answer.status}${answer.cached ? " (cached)" : ""}`];
  if (answer.risk) lines.push(`Computed risk: ${answer.risk.score}/10 (${answer.risk.band})`);
  if (answer.status === "completed") {
    lines.push(`LLM risk score: ${answer.risk_score}/10${answer.model ? ` (${answer.model})` : ""}`);
    lines.push("", heading("Summary"), text(answer.summary));
    lines.push("", heading("Recommendations"));
    (answer.recommendations ?? []).forEach((r, i) => {
      lines.push(`${i + 1}. ${text(r)}`);
    });
  } else if (answer.status === "failed") {
    lines.push(`Error: ${text(answer.error)}`, "Ask again with --refresh.");
  } else {
    lines.push("The analysis is queued; ask again later.");
  }
  return `${lines.join(format === "markdown" ? "\n\n" : "\n").replace(/\n\n\n\n/g, "\n\n")}\n`;
}

export function renderUpload(outcome: UploadOutcome, format: OutputFormat): string {
  const { scan, result } = outcome;
  if (format === "json") {
    return json({
      scan,
      duplicate: outcome.duplicate,
      findings_ingested: outcome.findingsIngested ?? null,
      analysis: outcome.analysis,
      gate: result && {
        gates: outcome.gates,
        description: describeGates(outcome.gates),
        passed: result.passed,
        failing_count: result.failing.length,
        evaluated: result.evaluated,
        skipped_unfixed: result.skippedUnfixed,
        unknown_kev: result.unknownKev,
      },
      failing: (result?.failing ?? []).map(({ finding, reasons }) => ({ ...finding, gate_reasons: reasons })),
    });
  }
  const name = scan.image_name ?? "(no image name)";
  const summary = `${scan.finding_count} findings: ${severityCounts(scan)}`;
  const verdict = !result
    ? "no gate set"
    : result.passed
      ? `passed: no finding fails the gate (${describeGates(outcome.gates)})`
      : `FAILED: ${result.failing.length} of ${result.evaluated} findings fail the gate (${describeGates(outcome.gates)})`;
  const notes = [
    outcome.duplicate ? "already uploaded: this is the stored scan" : "",
    result?.skippedUnfixed ? `${result.skippedUnfixed} without a fixed version skipped` : "",
    result?.unknownKev ? `KEV status not known yet for ${result.unknownKev}` : "",
  ].filter(Boolean);

  if (format === "markdown") {
    const icon = !result ? "" : result.passed ? "✅ " : "❌ ";
    const title = !result
      ? "vulntriage scan"
      : result.passed
        ? "vulntriage: the gate passed"
        : `vulntriage: ${result.failing.length} finding${result.failing.length === 1 ? "" : "s"} fail the gate`;
    const lines = [
      "<!-- vulntriage -->",
      `### ${icon}${md(title)}`,
      "",
      `**${md(name)}** · scan ${scan.id} · ${summary}` +
        (result ? ` · gate: ${md(describeGates(outcome.gates))}` : "") +
        (notes.length ? ` · ${md(notes.join("; "))}` : ""),
      "",
    ];
    const footer = `\n<sub>Risk: vulntriage's computed score (CVSS, EPSS, KEV, fix available), 1–10. Every finding: \`vulntriage findings ${scan.id}\`.</sub>\n`;
    const table = result && !result.passed ? `${markdownFindings(result.failing, true)}${footer}` : "";
    return `${lines.join("\n")}\n${table}`;
  }
  const head = `scan ${scan.id} ${name}: ${summary}\n${verdict}${notes.length ? ` (${notes.join("; ")})` : ""}\n`;
  if (!result || result.passed) return head;
  return (
    head +
    table(
      [...FINDING_HEAD, "Failed on"],
      result.failing.map((r) => [...findingRow(r.finding), r.reasons.join(", ")]),
    )
  );
}
