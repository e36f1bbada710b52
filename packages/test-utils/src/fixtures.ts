import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const TRIVY_FIXTURES_DIR = fileURLToPath(new URL("../../../test/fixtures/trivy", import.meta.url));

/** Every real Trivy report in the repository's fixture corpus, as paths relative to it. */
export function listTrivyFixtures(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return walk(path);
      return /\.json(\.golden)?$/.test(entry) ? [relative(TRIVY_FIXTURES_DIR, path)] : [];
    });
  return walk(TRIVY_FIXTURES_DIR).sort();
}

export function readTrivyFixture(name: string): Buffer {
  return readFileSync(join(TRIVY_FIXTURES_DIR, name));
}
