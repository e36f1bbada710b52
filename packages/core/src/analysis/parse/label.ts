/** Reads `[**][1. ]Name[ (…)][**][:][**] rest` — the shape shared by headings, bold labels and `Name:` lines. */

import { skipNumbering } from "./markdown.js";
import { skipSpaces } from "./text.js";

export type Label = { name: string; rest: string; emphasised: boolean; colon: boolean };

const NAME_STOP = new Set([":", "*", "_", "(", "["]);
const MAX_NAME = 80;

/** Without regexes: lines can be huge and hostile. */
export function parseLabel(text: string): Label | null {
  const mark = text[0] === "*" || text[0] === "_" ? text[0] : "";
  let p = 0;
  while (mark && text[p] === mark && p < 4) p++;
  if (p > 3) return null;
  const closer = mark.repeat(p);
  p = skipNumbering(text, skipSpaces(text, p));
  const start = p;
  while (p < text.length && p - start <= MAX_NAME && !NAME_STOP.has(text[p] ?? "")) p++;
  if (p - start > MAX_NAME) return null;
  const name = text.slice(start, p).trim();
  if (name === "") return null;
  p = skipLabelParenthetical(text, p, closer);
  let q = skipSpaces(text, p);
  let closed = false;
  let colon = false;
  if (closer && text.startsWith(closer, q)) {
    closed = true;
    q = skipSpaces(text, q + closer.length);
  }
  if (text[q] === ":") {
    // "CVSS:3.1/AV:N" or "https://…" is a value, not a label.
    const next = text[q + 1];
    if (next !== undefined && next !== " " && next !== "\t" && next !== mark) return null;
    colon = true;
    q++;
    if (closer && !closed && text.startsWith(closer, q)) {
      closed = true;
      q += closer.length;
    }
  }
  let rest = text.slice(q).trim();
  if (closer && !closed) {
    // "**Risk Score: 8/10**" puts the content inside the emphasis.
    if (!rest.endsWith(closer)) return null;
    rest = rest.slice(0, rest.length - closer.length).trim();
    closed = true;
  }
  if (rest.startsWith("- ") || rest.startsWith("– ") || rest.startsWith("— ")) rest = rest.slice(2).trim();
  return { name, rest, emphasised: closed, colon };
}

/** "Risk Score (1-10):" — a parenthetical right before the colon or closer belongs to the label. */
function skipLabelParenthetical(text: string, p: number, closer: string): number {
  const q = skipSpaces(text, p);
  const open = text[q];
  if (open !== "(" && open !== "[") return p;
  const close = text.indexOf(open === "(" ? ")" : "]", q);
  if (close < 0 || close - q > 40) return p;
  const after = skipSpaces(text, close + 1);
  return text[after] === ":" || (closer !== "" && text.startsWith(closer, after)) ? close + 1 : p;
}

/** "Risk Score - 7/10": the name before a spaced dash, the rest after it. */
export function splitAtDash(name: string): { name: string; rest: string } | null {
  for (const dash of [" - ", " – ", " — "]) {
    const at = name.indexOf(dash);
    if (at > 0) return { name: name.slice(0, at), rest: name.slice(at + dash.length).trim() };
  }
  return null;
}
