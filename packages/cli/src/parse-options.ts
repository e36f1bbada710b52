import { InvalidArgumentError } from "commander";
import type { Severity } from "./api.js";
import { SEVERITIES } from "./gates.js";

// Argument parsers for commander: a bad value is a usage error (exit 2) with commander's message.

export function parseSeverity(value: string): Severity {
  const upper = value.trim().toUpperCase();
  if (!(SEVERITIES as readonly string[]).includes(upper)) {
    throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(", ")} (any case)`);
  }
  return upper as Severity;
}

export function parseSeverityList(value: string): Severity[] {
  return value
    .split(",")
    .filter((s) => s.trim() !== "")
    .map(parseSeverity);
}

export function parseRiskScore(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > 10) {
    throw new InvalidArgumentError("expected a whole number from 1 to 10");
  }
  return Number(value);
}

export function parsePositiveInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError("expected a positive whole number");
  }
  return Number(value);
}

export function parseNonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError("expected a whole number, 0 or more");
  }
  return Number(value);
}

export function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("expected an http(s) URL such as http://127.0.0.1:3000");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError("expected an http(s) URL such as http://127.0.0.1:3000");
  }
  return value;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "90s", "10m", "1h", "1h30m", "500ms"; a bare number is seconds. Answers milliseconds. */
export function parseDuration(value: string): number {
  const text = value.trim().toLowerCase();
  const bare = /^\d+(\.\d+)?$/.test(text);
  const parts = bare ? [`${text}s`] : text.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g);
  if (!parts || (!bare && parts.join("") !== text)) {
    throw new InvalidArgumentError("expected a duration such as 90s, 10m, 1h or 1h30m");
  }
  const ms = parts.reduce((total, part) => {
    const [, amount, unit] = /^([\d.]+)(ms|s|m|h)$/.exec(part) as RegExpExecArray;
    return total + Number(amount) * (UNIT_MS[unit as string] as number);
  }, 0);
  if (!(ms > 0) || ms > 7 * 24 * 3_600_000)
    throw new InvalidArgumentError("expected a duration from 1ms to 7 days");
  return Math.round(ms);
}
