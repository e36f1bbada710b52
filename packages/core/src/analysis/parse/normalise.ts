/**
 * Turns a raw answer into the lines worth reading: no invisible characters, no reasoning blocks, nothing
 * after a chat-template token, no fence around the whole answer, no closing chatter.
 */

import { readFence } from "./markdown.js";
import { isMainHeading } from "./sections.js";

// Zero-width and BiDi controls can hide or reorder text (Trojan Source style); a BOM breaks heading detection.
const INVISIBLE = /[\u200B-\u200D\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/g;
const REASONING_TAG = /<(\/?)(?:thinking|think|reasoning|reason|thought)\s*>/gi;
// Chat-template tokens: `<|name|>`, the full-width-bar variant, `<s>`, turn markers and `[INST]`.
const SPECIAL_TOKEN =
  /<\|[^|<>\s]{1,40}\|>|<｜[^｜<>\s]{1,40}｜>|<\/?s>|<(?:start|end)_of_turn>|\[\/?INST\]/g;
const MARKDOWN_INFO = new Set(["", "markdown", "md", "text", "txt", "plaintext", "plain"]);

export function prepareLines(raw: string): string[] {
  let text = raw.replace(INVISIBLE, "").replace(/\r\n?/g, "\n");
  text = cutAtSpecialToken(stripReasoning(text));
  return dropSignOff(unwrapFence(text.split("\n")));
}

/** Removes `<think>…</think>`; a lone `</think>` means the template pre-filled the opener. */
function stripReasoning(text: string): string {
  let out = "";
  let last = 0;
  let inside = false;
  for (const match of text.matchAll(REASONING_TAG)) {
    const closing = match[1] === "/";
    const index = match.index ?? 0;
    if (!inside && closing) {
      out = "";
      last = index + match[0].length;
    } else if (!inside) {
      out += text.slice(last, index);
      inside = true;
    } else if (closing) {
      inside = false;
      last = index + match[0].length;
    }
  }
  // An unclosed block is reasoning up to the end (the model ran out of tokens while thinking).
  return inside ? out : out + text.slice(last);
}

const ROLE = /^(?:assistant|model|user|system)$/i;

/**
 * Leading tokens (and the role name between them, `<|start_header_id|>assistant<|end_header_id|>`) are
 * dropped; the first token after real content ends the answer, cutting off run-on turns.
 */
function cutAtSpecialToken(text: string): string {
  let start = 0;
  let leading = false;
  for (const match of text.matchAll(SPECIAL_TOKEN)) {
    const index = match.index ?? 0;
    const before = text.slice(start, index).trim();
    if (before !== "" && !ROLE.test(before)) return text.slice(start, index);
    start = index + match[0].length;
    leading = true;
  }
  const rest = text.slice(start);
  return leading ? rest.replace(/^\s*(?:assistant|model)[ \t]*(?=\n|$)/i, "") : rest;
}

/** Drops the fence that wraps the whole answer, or the sections between a preamble and a sign-off. */
function unwrapFence(lines: string[]): string[] {
  const open = lines.findIndex((line) => readFence(line) !== null);
  const fence = open >= 0 ? readFence(lines[open] ?? "") : null;
  if (!fence || !MARKDOWN_INFO.has(fence.info.toLowerCase())) return lines;
  for (let i = 0; i < open; i++) if (isMainHeading(lines, i)) return lines;
  let first = -1;
  for (let i = open + 1; i < lines.length && first < 0; i++) {
    if (readFence(lines[i] ?? "")) return lines; // an ordinary code block comes first
    if (isMainHeading(lines, i)) first = i;
  }
  if (first < 0) return lines;
  let close = -1;
  for (let i = lines.length - 1; i > first && close < 0; i--) {
    const candidate = readFence(lines[i] ?? "");
    if (candidate && candidate.info === "" && candidate.char === fence.char) close = i;
  }
  // A missing closer means a truncated answer: drop the opener alone.
  return lines.filter((_, i) => i !== open && i !== close);
}

const SIGN_OFF =
  /^(?:let me know|i hope|hope (?:this|that|it)|feel free|please (?:let me know|note|feel free|reach out)|if you (?:have|need|would|want)|note:|note that|disclaimer|i can (?:also )?help|would you like|happy to help|good luck|stay safe)/i;

/** Closing chatter ("Let me know if…", "(Note: …)") would otherwise become a list continuation. */
function dropSignOff(lines: string[]): string[] {
  let end = lines.length;
  for (let round = 0; round < 4; round++) {
    while (end > 0 && (lines[end - 1] ?? "").trim() === "") end--;
    if (end === 0) break;
    let start = end - 1;
    while (start > 0 && (lines[start - 1] ?? "").trim() !== "") start--;
    if (isSignOff(lines[start] ?? "")) end = start;
    else if (isSignOff(lines[end - 1] ?? "")) end -= 1;
    else break;
  }
  return lines.slice(0, end);
}

function isSignOff(line: string): boolean {
  let i = 0;
  while (i < line.length && " \t(*_>".includes(line[i] ?? "")) i++;
  return SIGN_OFF.test(line.slice(i, i + 40));
}
