/**
 * The words a section name is made of, by family. A root ending in "*" matches any word it starts
 * ("remed*": remedy, remediate, remediation, remedial), so inflections and derived forms need no entry;
 * other roots match the word or its plural. These are word roots, not a list of accepted headings:
 * classify.ts reads a name's grammar (its head word, qualifiers and connectors) from them.
 */

export type Family = "summary" | "recommendations" | "risk" | "other" | "topic";

/** head: names the section; scale: "score", "level"… take the family of the word they qualify. */
export type Root = {
  family: Family;
  role: "head" | "scale" | "generic";
  strong: boolean;
  rank: number;
  step?: boolean;
};

type Group = { roots: string; root: Root };

const head = (family: Family, strong: boolean, rank = 0): Root => ({ family, role: "head", strong, rank });

const GROUPS: Group[] = [
  // Summaries, best first: a section that says "summary" wins over a description, which wins over an
  // analysis or explanation (often a long discussion).
  { roots: "summar*", root: head("summary", true, 0) },
  {
    roots: "tldr synops* recap* gist nutshell abstract overview* descri* brief* outline essence precis",
    root: head("summary", true, 1),
  },
  { roots: "glance takeaway* bottom intro* point", root: head("summary", false, 2) },
  // Actions. Strong ones name a section even as a list label; the others are also common item lead-ins.
  {
    roots: "recommend* remed* mitig* workaround* resolution* suggest* countermeasure* solution*",
    root: head("recommendations", true),
  },
  {
    roots:
      "fix* hotfix* bugfix* action* step* plan planning roadmap* checklist* todo guidanc* guide advice " +
      "measure* control* instruction* procedure* task* strateg* playbook* runbook*",
    root: head("recommendations", false),
  },
  // Verbs of doing: under a recommendations section, "### Upgrade" is the title of one of its steps.
  {
    roots:
      "patch* upgrad* updat* harden* do doing solv* resolv* advise* correct* response* prevent* protect* defen* " +
      "repair* recover* containm* eradicat* addressing rebuild* replac* remov* disabl* restrict* rotat* change*",
    root: { family: "recommendations", role: "head", strong: false, rank: 0, step: true },
  },
  // Risk.
  { roots: "priorit* criticalit* urgen*", root: head("risk", true) },
  {
    roots: "risk* threat* danger* serious* bad worse worst worr* verdict* importanc* critical",
    root: head("risk", false),
  },
  {
    roots: "scor* rating* rate rated level* grade* rank* tier*",
    root: { family: "risk", role: "scale", strong: false, rank: 0 },
  },
  // Generic heads name the kind of text and take the family of the word they qualify ("Risk assessment",
  // "Impact assessment", "Score justification"); alone they fall back to their own family.
  {
    roots: "assess* evaluat* estimat* judg*",
    root: { family: "risk", role: "generic", strong: false, rank: 0 },
  },
  {
    roots: "justif* rationale* reason* detail*",
    root: { family: "other", role: "generic", strong: false, rank: 0 },
  },
  {
    roots: "analy* explan* explain* interpret*",
    root: { family: "summary", role: "generic", strong: false, rank: 2 },
  },
  // Sections about something else: they end the section above them and are never read.
  {
    roots:
      "impact* referenc* link* sourc* affect* version* note* notic* info information context* " +
      "background* exploit* attack* vector* cause* conclu* disclaim* cve cwe " +
      "timeline* credit* acknowledg* appendix* faq caveat* limitation* assumption* evidence proof* poc " +
      "discuss* comment* metadata scope status* availab* dependenc* component* packag* software matter*",
    root: head("other", false),
  },
  // A name about these is about the metric, not our score: "CVSS score", "Severity level".
  { roots: "cvss* severit* epss", root: { family: "other", role: "head", strong: true, rank: 0 } },
  // What the finding is; a name made only of these describes it ("The vulnerability").
  {
    roots: "vulnerab* issue* problem* flaw* bug weakness* finding* advisory advisories security",
    root: head("topic", false),
  },
];

/** Words that qualify a name ("Overall risk", "Immediate steps") without changing its family. */
const QUALIFIERS = new Set(
  (
    "overall final general key main short quick executive immediate long longer term additional further " +
    "proposed possible potential calculated assigned total combined initial next top important technical " +
    "high business root item items line base temporal environmental"
  ).split(" "),
);

/** Grammar words: articles, pronouns, prepositions, question words. */
const CONNECTORS = new Set(
  (
    "the this that these it its of for on to in with about regarding and or vs versus plus my our your per " +
    "by at from is are be we you should can what whats how why who which where when going happened need know does"
  ).split(" "),
);

/** "CVSS"-family qualifiers that make a following scale word a metric of the advisory. */
export const METRIC_QUALIFIERS = new Set(["base", "temporal", "environmental"]);

export const INTERROGATIVES = new Set(["what", "whats", "how", "why", "who", "which", "where", "when"]);

export const PREPOSITIONS = new Set([
  "of",
  "for",
  "on",
  "about",
  "regarding",
  "in",
  "with",
  "to",
  "from",
  "by",
  "per",
]);

export const CONJUNCTIONS = new Set(["and", "or", "vs", "versus", "plus"]);

const exact = new Map<string, Root>();
const prefixes: [string, Root][] = [];
for (const group of GROUPS) {
  for (const word of group.roots.split(" ")) {
    if (word.endsWith("*")) prefixes.push([word.slice(0, -1), group.root]);
    else exact.set(word, group.root);
  }
}
// Longest root first: the most specific one decides.
prefixes.sort((a, b) => b[0].length - a[0].length);

export function rootOf(word: string): Root | null {
  const found = exact.get(word) ?? plural(word);
  if (found) return found;
  for (const [prefix, root] of prefixes) if (word.startsWith(prefix)) return root;
  return null;
}

// "plans", "bugs", "cves"; not "does" (a two-letter root has no plural here).
function plural(word: string): Root | undefined {
  if (!word.endsWith("s")) return undefined;
  const one = word.slice(0, -1);
  const two = word.endsWith("es") ? word.slice(0, -2) : "";
  return (one.length >= 3 ? exact.get(one) : undefined) ?? (two.length >= 3 ? exact.get(two) : undefined);
}

export function isQualifier(word: string): boolean {
  return QUALIFIERS.has(word);
}

export function isConnector(word: string): boolean {
  return CONNECTORS.has(word);
}
