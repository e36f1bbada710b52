/**
 * Markdown answers in the shapes small instruct models (llama3.x, gemma, phi3, qwen, deepseek-r1) produce
 * for "summarise this finding, recommend fixes, give a 1-10 risk score", with the values a parser must
 * extract from each.
 *
 * Normalisation contract for `expected` (the answer parser is written against these rules):
 * - summary: the Summary section's text, trimmed; paragraphs joined by exactly "\n\n"; the lines of one
 *   paragraph joined by a single space; inline Markdown (bold, `code`, links) kept verbatim; text on the
 *   label's own line (`**Summary:** text`) starts the first paragraph.
 * - recommendations: one entry per top-level list item, in order; marker removed; continuation lines
 *   joined by a single space; inline Markdown kept verbatim; trimmed. Non-list lines are not items.
 * - riskScore: an integer 1-10.
 */

export interface LlmAnswerExpected {
  summary: string;
  recommendations: string[];
  riskScore: number;
}

export interface LlmAnswerCorpusEntry {
  id: string;
  answer: string;
  expected: LlmAnswerExpected;
}

type LlmAnswerParseErrorCode = "no_summary" | "no_risk_score" | "invalid_risk_score";

export interface BadLlmAnswer {
  id: string;
  answer: string;
  expectedError: LlmAnswerParseErrorCode;
}

// Line arrays keep backticks and fences readable (no template-literal escaping).
const md = (...lines: string[]): string => lines.join("\n");

export const llmAnswerCorpus: readonly LlmAnswerCorpusEntry[] = [
  {
    id: "h2-headings-dash-list",
    answer: md(
      "## Summary",
      "",
      'The `nghttp2` library (1.43.0) in this image is affected by CVE-2023-44487, the HTTP/2 "Rapid Reset" attack. A remote client can open and immediately cancel streams in a loop, exhausting server CPU — no authentication is required.',
      "",
      "## Recommendations",
      "",
      "- Upgrade `libnghttp2-14` to `1.43.0-1+deb11u1` or later.",
      "- If the service terminates HTTP/2 itself, cap the number of concurrent streams per connection.",
      "- Put a reverse proxy with Rapid Reset mitigations in front of exposed endpoints.",
      "",
      "## Risk Score",
      "",
      "7/10",
    ),
    expected: {
      summary:
        'The `nghttp2` library (1.43.0) in this image is affected by CVE-2023-44487, the HTTP/2 "Rapid Reset" attack. A remote client can open and immediately cancel streams in a loop, exhausting server CPU — no authentication is required.',
      recommendations: [
        "Upgrade `libnghttp2-14` to `1.43.0-1+deb11u1` or later.",
        "If the service terminates HTTP/2 itself, cap the number of concurrent streams per connection.",
        "Put a reverse proxy with Rapid Reset mitigations in front of exposed endpoints.",
      ],
      riskScore: 7,
    },
  },
  {
    id: "bold-labels-same-line-wrapped",
    answer: md(
      "**Summary:** The `openssl` package (3.0.2-0ubuntu1.10) is vulnerable to CVE-2023-5678, where",
      "generating or checking excessively long X9.42 DH keys can be very slow. An attacker who can supply",
      "such keys could cause a denial of service.",
      "",
      "**Recommendations:**",
      "* **Upgrade OpenSSL:** Update to `3.0.2-0ubuntu1.12` or later, which contains the fix.",
      "* **Restrict key input:** Reject DH parameters from untrusted sources where possible.",
      "* **Monitor CPU usage:** Alert on sustained CPU spikes in TLS-handling services.",
      "",
      "**Risk Score:** 4/10 — exploitation is possible, but the impact is limited to availability.",
    ),
    expected: {
      summary:
        "The `openssl` package (3.0.2-0ubuntu1.10) is vulnerable to CVE-2023-5678, where generating or checking excessively long X9.42 DH keys can be very slow. An attacker who can supply such keys could cause a denial of service.",
      recommendations: [
        "**Upgrade OpenSSL:** Update to `3.0.2-0ubuntu1.12` or later, which contains the fix.",
        "**Restrict key input:** Reject DH parameters from untrusted sources where possible.",
        "**Monitor CPU usage:** Alert on sustained CPU spikes in TLS-handling services.",
      ],
      riskScore: 4,
    },
  },
  {
    id: "preamble-numbered-loose-list",
    answer: md(
      "Sure! Here is the analysis of the vulnerability:",
      "",
      "### Summary",
      "",
      "CVE-2024-3094 is a backdoor that was deliberately inserted into the `xz-utils` release tarballs",
      "(versions 5.6.0 and 5.6.1). When `sshd` loads `liblzma` through its systemd dependency, it can",
      "allow an attacker holding a specific private key to bypass authentication.",
      "",
      "This image ships `liblzma5` 5.6.1, so it contains the malicious code.",
      "",
      "### Recommendations",
      "",
      "1. **Change the `xz-utils` version:** Move to 5.4.6, or to 5.6.2 and later, where the backdoor was",
      "   removed.",
      "",
      "2. **Rebuild the image:** Rebuild from a clean base image rather than patching the layer in place.",
      "",
      "3. **Rotate credentials:** If this image ran `sshd` on an exposed host, treat its SSH host keys and",
      "   credentials as compromised.",
      "",
      "### Risk Score",
      "",
      "**8** out of 10",
    ),
    expected: {
      summary:
        "CVE-2024-3094 is a backdoor that was deliberately inserted into the `xz-utils` release tarballs (versions 5.6.0 and 5.6.1). When `sshd` loads `liblzma` through its systemd dependency, it can allow an attacker holding a specific private key to bypass authentication.\n\nThis image ships `liblzma5` 5.6.1, so it contains the malicious code.",
      recommendations: [
        "**Change the `xz-utils` version:** Move to 5.4.6, or to 5.6.2 and later, where the backdoor was removed.",
        "**Rebuild the image:** Rebuild from a clean base image rather than patching the layer in place.",
        "**Rotate credentials:** If this image ran `sshd` on an exposed host, treat its SSH host keys and credentials as compromised.",
      ],
      riskScore: 8,
    },
  },
  {
    id: "think-block-before-answer",
    answer: md(
      "<think>",
      "Okay, the user wants a summary, recommendations and a risk score for CVE-2021-44228 in log4j-core 2.14.1.",
      "That is Log4Shell, CVSS 10.0. My first thought for the risk score is 10/10 because the service is Java,",
      "but exploitation depends on whether user input reaches the logger, so I will go with 9.",
      "</think>",
      "",
      "## Summary",
      "",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal Log4Shell payload, not a template
      "The image contains `log4j-core` 2.14.1, which is affected by **Log4Shell** (CVE-2021-44228). An attacker who can get a crafted string such as `${jndi:ldap://attacker/…}` into a log message can trigger remote code execution through JNDI lookups.",
      "",
      "## Recommendations",
      "",
      "- Upgrade `log4j-core` to 2.17.1 or later.",
      "- Until you can upgrade, remove the `JndiLookup` class from the classpath.",
      "- Block outbound LDAP and RMI traffic from the container.",
      "",
      "## Risk Score",
      "",
      "9",
    ),
    expected: {
      summary:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal Log4Shell payload, not a template
        "The image contains `log4j-core` 2.14.1, which is affected by **Log4Shell** (CVE-2021-44228). An attacker who can get a crafted string such as `${jndi:ldap://attacker/…}` into a log message can trigger remote code execution through JNDI lookups.",
      recommendations: [
        "Upgrade `log4j-core` to 2.17.1 or later.",
        "Until you can upgrade, remove the `JndiLookup` class from the classpath.",
        "Block outbound LDAP and RMI traffic from the container.",
      ],
      riskScore: 9,
    },
  },
  {
    id: "whole-answer-in-markdown-fence",
    answer: md(
      "```markdown",
      "## Summary",
      '`glibc` 2.31-13 is affected by CVE-2023-4911 ("Looney Tunables"), a buffer overflow in the dynamic loader\'s handling of the `GLIBC_TUNABLES` environment variable. A local user can exploit it through setuid binaries to gain root privileges.',
      "",
      "## Recommendations",
      "- Upgrade `libc6` to 2.31-13+deb11u7 or later.",
      "- Remove setuid binaries that the image does not need.",
      "- Run the container as a non-root user with `no-new-privileges` set.",
      "",
      "## Risk Score",
      "6 (Medium)",
      "```",
    ),
    expected: {
      summary:
        '`glibc` 2.31-13 is affected by CVE-2023-4911 ("Looney Tunables"), a buffer overflow in the dynamic loader\'s handling of the `GLIBC_TUNABLES` environment variable. A local user can exploit it through setuid binaries to gain root privileges.',
      recommendations: [
        "Upgrade `libc6` to 2.31-13+deb11u7 or later.",
        "Remove setuid binaries that the image does not need.",
        "Run the container as a non-root user with `no-new-privileges` set.",
      ],
      riskScore: 6,
    },
  },
  {
    id: "extra-impact-section-list-intro",
    answer: md(
      "## Summary",
      "",
      "`curl` 7.74.0 is affected by CVE-2023-38545, a heap buffer overflow in the SOCKS5 proxy handshake. It is triggered when curl resolves a long hostname through a SOCKS5 proxy.",
      "",
      "## Impact",
      "",
      "A malicious server could redirect the client to a hostname long enough to overflow the buffer, which may lead to code execution in any process that uses `libcurl`.",
      "",
      "## Recommendations",
      "",
      "To remediate this finding:",
      "",
      "1. Upgrade `curl` and `libcurl4` to 8.4.0, or to a distribution build that includes the fix.",
      "2. Avoid `socks5h://` proxies for untrusted destinations until the image is patched.",
      "3. Check whether any application in the image actually uses a SOCKS5 proxy.",
      "",
      "## Risk Score",
      "",
      "**8/10** (High)",
    ),
    expected: {
      summary:
        "`curl` 7.74.0 is affected by CVE-2023-38545, a heap buffer overflow in the SOCKS5 proxy handshake. It is triggered when curl resolves a long hostname through a SOCKS5 proxy.",
      recommendations: [
        "Upgrade `curl` and `libcurl4` to 8.4.0, or to a distribution build that includes the fix.",
        "Avoid `socks5h://` proxies for untrusted destinations until the image is patched.",
        "Check whether any application in the image actually uses a SOCKS5 proxy.",
      ],
      riskScore: 8,
    },
  },
  {
    id: "plain-colon-labels-paren-list",
    answer: md(
      "Summary:",
      "The `tar` package (1.34+dfsg-1) is affected by CVE-2022-48303, a one-byte out-of-bounds read when",
      "parsing archives with malformed V7 headers. Exploitation requires tricking a user into extracting a",
      "crafted archive.",
      "",
      "Recommendations:",
      "1) Upgrade `tar` to 1.34+dfsg-1+deb11u1 or later.",
      "2) Do not extract archives from untrusted sources inside the container.",
      "",
      "Risk Score: 3",
    ),
    expected: {
      summary:
        "The `tar` package (1.34+dfsg-1) is affected by CVE-2022-48303, a one-byte out-of-bounds read when parsing archives with malformed V7 headers. Exploitation requires tricking a user into extracting a crafted archive.",
      recommendations: [
        "Upgrade `tar` to 1.34+dfsg-1+deb11u1 or later.",
        "Do not extract archives from untrusted sources inside the container.",
      ],
      riskScore: 3,
    },
  },
  {
    id: "preamble-and-sign-off",
    answer: md(
      "Here's my analysis of the finding.",
      "",
      "## Summary",
      "The `zlib1g` package is vulnerable to CVE-2022-37434, a heap-based buffer over-read or overflow in `inflate()` when a gzip header with a large extra field is processed. Only applications that call `inflateGetHeader()` are affected.",
      "",
      "## Recommendations",
      "- Upgrade `zlib1g` to 1:1.2.11.dfsg-2+deb11u2 or later.",
      "- Audit the image for binaries that call `inflateGetHeader()`; most zlib consumers don't.",
      "",
      "## Risk Score",
      "5/10",
      "",
      "I hope this helps! Let me know if you'd like more detail on any of these steps.",
    ),
    expected: {
      summary:
        "The `zlib1g` package is vulnerable to CVE-2022-37434, a heap-based buffer over-read or overflow in `inflate()` when a gzip header with a large extra field is processed. Only applications that call `inflateGetHeader()` are affected.",
      recommendations: [
        "Upgrade `zlib1g` to 1:1.2.11.dfsg-2+deb11u2 or later.",
        "Audit the image for binaries that call `inflateGetHeader()`; most zlib consumers don't.",
      ],
      riskScore: 5,
    },
  },
  {
    id: "numbered-h3-headings-score-on-heading",
    answer: md(
      "### 1. Summary",
      "`werkzeug` 2.2.2 is affected by CVE-2023-25577: the multipart form parser does not limit the number of parts, so a request with many small parts can consume excessive CPU and memory.",
      "",
      "### 2. Recommendations",
      "- **Upgrade:** Pin `werkzeug>=2.2.3` in `requirements.txt` and rebuild the image.",
      "- **Limit request size:** Set `MAX_CONTENT_LENGTH` in the Flask configuration.",
      "- **Rate-limit uploads:** Apply per-client limits to endpoints that accept `multipart/form-data`.",
      "",
      "### 3. Risk Score: 7",
    ),
    expected: {
      summary:
        "`werkzeug` 2.2.2 is affected by CVE-2023-25577: the multipart form parser does not limit the number of parts, so a request with many small parts can consume excessive CPU and memory.",
      recommendations: [
        "**Upgrade:** Pin `werkzeug>=2.2.3` in `requirements.txt` and rebuild the image.",
        "**Limit request size:** Set `MAX_CONTENT_LENGTH` in the Flask configuration.",
        "**Rate-limit uploads:** Apply per-client limits to endpoints that accept `multipart/form-data`.",
      ],
      riskScore: 7,
    },
  },
  {
    id: "bold-standalone-headings-link-continuations",
    answer: md(
      "**Summary**",
      "",
      "A file-descriptor leak in `runc` 1.1.11 and earlier ([CVE-2024-21626](https://nvd.nist.gov/vuln/detail/CVE-2024-21626)) lets a malicious image or a `docker exec` with a crafted working directory escape to the host filesystem.",
      "",
      "**Recommendations**",
      "",
      "* Upgrade `runc` to 1.1.12 or later on every build and runtime host — the container image",
      "  alone cannot fix this.",
      "* Only run images from trusted registries until the hosts are patched.",
      "* Never set `WORKDIR` to a path under `/proc/self/fd`.",
      "",
      "**Risk Score**",
      "",
      "9/10",
    ),
    expected: {
      summary:
        "A file-descriptor leak in `runc` 1.1.11 and earlier ([CVE-2024-21626](https://nvd.nist.gov/vuln/detail/CVE-2024-21626)) lets a malicious image or a `docker exec` with a crafted working directory escape to the host filesystem.",
      recommendations: [
        "Upgrade `runc` to 1.1.12 or later on every build and runtime host — the container image alone cannot fix this.",
        "Only run images from trusted registries until the hosts are patched.",
        "Never set `WORKDIR` to a path under `/proc/self/fd`.",
      ],
      riskScore: 9,
    },
  },
  {
    id: "two-paragraph-summary-note-postscript",
    answer: md(
      "## Summary",
      "",
      "`libexpat1` 2.2.10-2 contains CVE-2023-52425: parsing a large token that is split across many buffer fills takes quadratic time. A service that parses untrusted XML with expat could be slowed down significantly.",
      "",
      "The package is only pulled in as a dependency of `python3.9` here, and no service in the image parses XML from the network.",
      "",
      "## Recommendations",
      "",
      "- Upgrade `libexpat1` to 2.2.10-2+deb11u6 or later when it is available.",
      "- Remove `python3.9` from the runtime image if it is only needed at build time.",
      "",
      "## Risk Score",
      "",
      "**Risk Score:** 2/10",
      "",
      "(Note: this score assumes that no XML from untrusted sources reaches the application.)",
    ),
    expected: {
      summary:
        "`libexpat1` 2.2.10-2 contains CVE-2023-52425: parsing a large token that is split across many buffer fills takes quadratic time. A service that parses untrusted XML with expat could be slowed down significantly.\n\nThe package is only pulled in as a dependency of `python3.9` here, and no service in the image parses XML from the network.",
      recommendations: [
        "Upgrade `libexpat1` to 2.2.10-2+deb11u6 or later when it is available.",
        "Remove `python3.9` from the runtime image if it is only needed at build time.",
      ],
      riskScore: 2,
    },
  },
  {
    id: "cvss-numbers-in-summary",
    answer: md(
      "**Summary:**",
      "`jackson-databind` 2.9.10.1 is affected by CVE-2020-36518 (CVSS 7.5), a stack overflow caused by",
      "deeply nested JSON arrays. Older deserialization gadgets in the 2.9.x line, such as CVE-2019-17531",
      "(CVSS 9.8), only matter when default typing is enabled, which this service does not do.",
      "",
      "**Recommendations:**",
      "- **Upgrade:** Move to `jackson-databind` 2.12.6.1, 2.13.2.1 or later.",
      "- **Limit input depth:** Reject request bodies whose nesting exceeds a sensible limit.",
      "- **Keep default typing off:** Do not call `enableDefaultTyping()` anywhere in the codebase.",
      "",
      "**Risk Score:** 6/10",
    ),
    expected: {
      summary:
        "`jackson-databind` 2.9.10.1 is affected by CVE-2020-36518 (CVSS 7.5), a stack overflow caused by deeply nested JSON arrays. Older deserialization gadgets in the 2.9.x line, such as CVE-2019-17531 (CVSS 9.8), only matter when default typing is enabled, which this service does not do.",
      recommendations: [
        "**Upgrade:** Move to `jackson-databind` 2.12.6.1, 2.13.2.1 or later.",
        "**Limit input depth:** Reject request bodies whose nesting exceeds a sensible limit.",
        "**Keep default typing off:** Do not call `enableDefaultTyping()` anywhere in the codebase.",
      ],
      riskScore: 6,
    },
  },
  {
    id: "unicode-arrows-spaced-score",
    answer: md(
      "## Summary",
      "",
      "The base image ships `apache2` 2.4.54, which is affected by CVE-2023-25690: some `mod_proxy` configurations that use `RewriteRule` or `ProxyPassMatch` allow HTTP request smuggling. An attacker could bypass access controls on the proxy or poison caches.",
      "",
      "## Recommendations",
      "",
      "- Upgrade `apache2` → 2.4.56 or later (Debian: 2.4.56-1~deb11u1).",
      "- Review `RewriteRule` directives that copy user input into proxied URLs — avoid catch-all patterns",
      "  such as `(.*)`.",
      "",
      "## Risk Score",
      "",
      "7 / 10",
    ),
    expected: {
      summary:
        "The base image ships `apache2` 2.4.54, which is affected by CVE-2023-25690: some `mod_proxy` configurations that use `RewriteRule` or `ProxyPassMatch` allow HTTP request smuggling. An attacker could bypass access controls on the proxy or poison caches.",
      recommendations: [
        "Upgrade `apache2` → 2.4.56 or later (Debian: 2.4.56-1~deb11u1).",
        "Review `RewriteRule` directives that copy user input into proxied URLs — avoid catch-all patterns such as `(.*)`.",
      ],
      riskScore: 7,
    },
  },
  {
    id: "plus-bullets-umlaut-out-of-ten",
    answer: md(
      "Of course. Below is the requested assessment.",
      "",
      "## Summary",
      "",
      "`pillow` 9.0.0 is affected by CVE-2023-50447: `PIL.ImageMath.eval` evaluates attacker-controlled",
      "expressions, which allows arbitrary code execution. The vulnerable call is only reachable if the",
      "application passes user input to `ImageMath.eval` (the upstream advisory credits a Müller et al. report).",
      "",
      "## Recommendations",
      "",
      "+ Upgrade `pillow` to 10.2.0 or later.",
      "+ Search the codebase for `ImageMath.eval` and make sure no user input reaches it.",
      "",
      "## Risk Score",
      "",
      "**Risk Score:** 5 out of 10",
      "",
      "Feel free to ask if anything is unclear!",
    ),
    expected: {
      summary:
        "`pillow` 9.0.0 is affected by CVE-2023-50447: `PIL.ImageMath.eval` evaluates attacker-controlled expressions, which allows arbitrary code execution. The vulnerable call is only reachable if the application passes user input to `ImageMath.eval` (the upstream advisory credits a Müller et al. report).",
      recommendations: [
        "Upgrade `pillow` to 10.2.0 or later.",
        "Search the codebase for `ImageMath.eval` and make sure no user input reaches it.",
      ],
      riskScore: 5,
    },
  },
];

/** Answers a parser must reject, with the error code it must report. */
export const badLlmAnswers: readonly BadLlmAnswer[] = [
  {
    // No Summary section and no preamble that could stand in for one.
    id: "no-summary-section",
    answer: md(
      "## Recommendations",
      "- Upgrade `libsqlite3-0` to 3.34.1-3+deb11u1 or later.",
      "- Avoid running untrusted SQL against embedded databases.",
      "",
      "## Risk Score",
      "6/10",
    ),
    expectedError: "no_summary",
  },
  {
    // The only number in the risk section is a CVSS score, which is not a 1-10 risk score.
    id: "cvss-score-only",
    answer: md(
      "## Summary",
      "`libwebp` 1.2.4 is affected by CVE-2023-4863, a heap buffer overflow in the lossless decoder that can be triggered by a crafted WebP image.",
      "",
      "## Recommendations",
      "- Upgrade `libwebp7` to 1.2.4-0.2+deb12u1 or later.",
      "",
      "## Risk Score",
      "CVSS 9.8",
    ),
    expectedError: "no_risk_score",
  },
  {
    id: "score-not-applicable",
    answer: md(
      "**Summary:** `bash` 5.1-2 is affected by CVE-2022-3715, a heap overflow in `valid_parameter_transform`.",
      "",
      "**Recommendations:**",
      "- Upgrade `bash` to 5.1-2+deb11u1 or later.",
      "",
      "**Risk Score:** N/A",
    ),
    expectedError: "no_risk_score",
  },
  {
    id: "score-out-of-range",
    answer: md(
      "## Summary",
      "`git` 2.30.2 is affected by CVE-2024-32002: a crafted repository with submodules can make `git clone` run a hook.",
      "",
      "## Recommendations",
      "- Upgrade `git` to 2.39.4 or later.",
      "- Disable symbolic links in clones of untrusted repositories with `core.symlinks=false`.",
      "",
      "## Risk Score",
      "15/10",
    ),
    expectedError: "invalid_risk_score",
  },
];
