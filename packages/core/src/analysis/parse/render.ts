/** Renders the chosen sections into the summary text and the list of recommendations. */

import { listMarker } from "./markdown.js";
import type { Block, Section } from "./sections.js";

export function pickSummary(sections: Section[]): string {
  let best = "";
  let bestRank = Number.POSITIVE_INFINITY;
  for (const section of sections) {
    if (section.kind !== "summary") continue;
    const text = renderSummary(section);
    // The best-named section wins ("Summary" over "Overview" over "Analysis"); the first among equals.
    if (text !== "" && section.rank < bestRank) {
      best = text;
      bestRank = section.rank;
    }
  }
  return best;
}

function renderSummary(section: Section): string {
  const paragraphs: string[] = [];
  let lines: string[] = section.rest ? [section.rest] : [];
  const flush = () => {
    if (lines.length > 0) paragraphs.push(lines.join(" "));
    lines = [];
  };
  for (const block of section.body) {
    if (block.type === "text") {
      lines.push(block.text);
    } else {
      flush();
      const code = block.type === "code" ? codeText(block.lines) : "";
      if (code) paragraphs.push(code);
    }
  }
  flush();
  return paragraphs.join("\n\n").trim();
}

export function renderRecommendations(sections: Section[]): string[] {
  return sections.filter((section) => section.kind === "recommendations").flatMap(sectionEntries);
}

function sectionEntries(section: Section): string[] {
  const blocks: Block[] = section.rest
    ? [{ type: "text", indent: 0, text: section.rest }, ...section.body]
    : section.body;
  const hasList = blocks.some((block) => block.type === "text" && listMarker(block.text) !== null);
  return hasList ? listEntries(blocks) : paragraphEntries(blocks);
}

type Item = { parts: string[]; subs: string[][] };

/** One entry per top-level item; continuations join with a space, nested items with "; ". */
function listEntries(blocks: Block[]): string[] {
  const items: Item[] = [];
  let base = -1;
  let item: Item | null = null;
  let sub: { parts: string[]; indent: number } | null = null;
  let afterBlank = false;
  for (const block of blocks) {
    if (block.type === "blank" || block.type === "subheading") {
      if (block.type === "subheading") item = sub = null;
      afterBlank = true;
      continue;
    }
    if (block.type === "code") {
      // Commands in fences belong to the item above them, indented or not.
      const code = codeText(block.lines);
      if (code) (sub?.parts ?? item?.parts)?.push(code);
      afterBlank = true;
      continue;
    }
    const marker = listMarker(block.text);
    if (marker) {
      if (base < 0 || block.indent < base) base = block.indent;
      if (item && block.indent >= base + 2) {
        sub = { parts: [marker.content], indent: block.indent };
        item.subs.push(sub.parts);
      } else {
        item = { parts: [marker.content], subs: [] };
        items.push(item);
        sub = null;
      }
    } else if (item && (!afterBlank || block.indent >= base + 2)) {
      if (sub && (!afterBlank || block.indent >= sub.indent + 2)) {
        sub.parts.push(block.text);
      } else {
        sub = null;
        item.parts.push(block.text);
      }
    } else {
      // Text outside the list (an intro or a closing remark) is not a recommendation.
      item = sub = null;
    }
    afterBlank = false;
  }
  return items
    .map((entry) =>
      [joinParts(entry.parts), ...entry.subs.map(joinParts)].filter((part) => part !== "").join("; "),
    )
    .filter((entry) => entry !== "");
}

/** Without a list each paragraph is an entry; a sub-heading starts an entry that absorbs its paragraphs. */
function paragraphEntries(blocks: Block[]): string[] {
  const groups: string[][] = [];
  let open = false;
  let grouped = false;
  for (const block of blocks) {
    const last = groups[groups.length - 1];
    if (block.type === "subheading") {
      groups.push([block.text]);
      open = grouped = true;
    } else if (block.type === "blank") {
      if (!grouped) open = false;
    } else if (block.type === "code") {
      // A command block belongs to the paragraph above it, even after a blank line.
      const code = codeText(block.lines);
      if (code && last) last.push(code);
      else if (code) groups.push([code]);
    } else if (open && last) {
      last.push(block.text);
    } else {
      groups.push([block.text]);
      open = true;
    }
  }
  return groups.map(joinParts).filter((entry) => entry !== "");
}

function joinParts(parts: string[]): string {
  return parts
    .filter((part) => part !== "")
    .join(" ")
    .trim();
}

/** A fenced block becomes inline code, one span per line, so it survives as single-line text. */
function codeText(lines: string[]): string {
  return lines
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => (line.includes("`") ? `\`\` ${line} \`\`` : `\`${line}\``))
    .join(" ");
}
