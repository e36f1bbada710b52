import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The parser must read the language of an answer, not the names in its test corpus: no package, product,
// vendor, operating system, language or model name may appear in its sources, not even in a comment.
const NAMES = [
  // packages and libraries
  "openssl",
  "libssl",
  "glibc",
  "libc6",
  "curl",
  "libcurl",
  "zlib",
  "lodash",
  "log4j",
  "log4shell",
  "jackson",
  "werkzeug",
  "pillow",
  "expat",
  "nghttp2",
  "runc",
  "containerd",
  "busybox",
  "systemd",
  "openssh",
  "sqlite",
  "libxml2",
  "libwebp",
  "xz-utils",
  "liblzma",
  "tomcat",
  "nginx",
  "apache",
  "struts",
  "django",
  "kubernetes",
  "docker",
  // languages and runtimes
  "java",
  "jdk",
  "jre",
  "openjdk",
  "python",
  "nodejs",
  "node.js",
  "golang",
  "php",
  "ruby",
  "perl",
  "javascript",
  "typescript",
  // operating systems and distributions
  "linux",
  "kernel",
  "windows",
  "macos",
  "ubuntu",
  "debian",
  "alpine",
  "centos",
  "fedora",
  "rhel",
  "suse",
  // vendors and services
  "microsoft",
  "google",
  "oracle",
  "redhat",
  "github",
  "npm",
  "pypi",
  "maven",
  "nvd",
  "trivy",
  // protocols the old stop list named
  "http",
  "tls",
  // models and model runners
  "llama",
  "qwen",
  "gemma",
  "mistral",
  "phi3",
  "deepseek",
  "ollama",
  "chatml",
];

const PARSE_DIR = new URL("../../src/analysis/parse/", import.meta.url);
const sources = [
  ...readdirSync(PARSE_DIR)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file: `parse/${file}`, text: readFileSync(new URL(file, PARSE_DIR), "utf8") })),
  {
    file: "parse-analysis.ts",
    text: readFileSync(new URL("../../src/analysis/parse-analysis.ts", import.meta.url), "utf8"),
  },
];

const escapeRegExp = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("the parser's sources", () => {
  it("are all read (the parse/ modules and the entry)", () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(60);
    expect(sources.length).toBeGreaterThanOrEqual(8);
    expect(sources.map((source) => source.file)).toContain("parse/classify.ts");
  });

  it.each(sources.map((source) => [source.file, source.text] as const))(
    "%s names no product",
    (_file, text) => {
      const found = NAMES.filter((name) => new RegExp(`\\b${escapeRegExp(name)}\\b`, "i").test(text));
      expect(found).toEqual([]);
    },
  );

  it("would notice a name", () => {
    const probe = (text: string) =>
      NAMES.some((name) => new RegExp(`\\b${escapeRegExp(name)}\\b`, "i").test(text));
    expect(probe("skip numbers after OpenSSL")).toBe(true);
    expect(probe("a remediation plan")).toBe(false);
  });
});
