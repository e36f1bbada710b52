// Generated from apps/api/openapi.json by openapi-typescript (`npm run openapi`); do not edit.
// A test fails when this file and the document differ.

export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * 200 only when every dependency answers
         * @description Pings PostgreSQL (over a connection of its own) and Redis; open to everyone, and never shows why a dependency is down (that is logged at debug).
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/container/scans": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List scans, newest first
         * @description Every scan, most recently ingested first, a page at a time: `items` holds at most `limit` scans after skipping `offset`, and `total` counts them all.
         *
         *     Scope: `read` (or `admin`).
         */
        get: operations["listScans"];
        put?: never;
        /**
         * Upload a Trivy JSON report
         * @description Body: the output of `trivy image -f json` (any Trivy version: SchemaVersion 2 or the legacy array), optionally with `Content-Encoding: gzip`. A report already stored for the same image answers 200 with `duplicate: true` and writes nothing. Only vulnerabilities become findings: `skipped` counts the report's misconfigurations, secrets and licences, which are not stored.
         *
         *     Scope: `scans:write` (or `admin`).
         */
        post: operations["ingestScan"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/scans/{scan_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One scan by its id
         * @description The scan with this id, whether or not it has an image name. (Under `/api/container/scans/` a path segment is an image name, so a numeric id there would be read as the image "1".)
         *
         *     Scope: `read` (or `admin`).
         */
        get: operations["getScan"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/container/scans/{artifactname}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The latest scan of an image
         * @description The newest report of that image name (by the report's CreatedAt, else its ingest time; of equally new ones the last ingested). Percent-encode the name: `ghcr.io%2Forg%2Fapp%3A1.0`. A scan by its id is `GET /api/scans/{scan_id}`.
         *
         *     Scope: `read` (or `admin`).
         */
        get: operations["getLatestScanByImageName"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/container/scans/{identifier}/findings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Findings of a scan, most severe (or highest risk) first
         * @description `identifier` is a numeric scan id, or an image name (percent-encoded) meaning that image's latest scan. `sort=risk` orders by the deterministic risk score (highest first, then severity); `kev=true` keeps findings whose vulnerability is in CISA's KEV; `min_epss` and `min_risk` keep those at or above.
         *
         *     Scope: `read` (or `admin`).
         */
        get: operations["listScanFindings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/container/findings/{finding_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One finding with its CVE data and analysis fields
         * @description Every field of the finding, its risk and exploitation data, the LLM analysis fields, and `cve_data`: the vulnerability object exactly as Trivy wrote it.
         *
         *     Scope: `read` (or `admin`).
         */
        get: operations["getFinding"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/llm/analyze/container/{finding_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The LLM analysis of a finding
         * @description 200 with the analysis when it is stored and fresh (or `status: failed` with the error); 202 while it is pending or processing — a finding never analysed is queued by this request. `refresh=true` asks the model again: it needs the scope `analysis:write` and counts against RATE_LIMIT_REFRESH_PER_MINUTE, and a question answered or queued in the last minute is not asked again.
         *
         *     Scope: `read` (or `admin`).
         */
        get: operations["analyzeFinding"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/container/scans/{identifier}/analysis": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * How far the analysis of a scan's findings has come
         * @description `identifier` is a numeric scan id, or an image name (percent-encoded) meaning that image's latest scan. Findings per analysis status, distinct questions asked and answered, and an estimate of the time left from the recent answer rate. Poll it until nothing is pending or processing.
         *
         *     Scope: `read` (or `admin`).
         */
        get: operations["getScanAnalysisProgress"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/llm/analyze/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Ask failed questions again, in bulk
         * @description A failed question is never asked again on its own, whichever scan contains it. This forgets the stored failures of the failed questions — of one scan when `scan_id` is given, else everywhere — and queues them again; every finding that failed on them goes back to `pending`. Answers how many questions and findings were queued (0 and 0 when nothing had failed).
         *
         *     Scope: `analysis:write` (or `admin`).
         */
        post: operations["retryFailedAnalyses"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every API key, revoked ones included, without secrets
         * @description Names, scopes, creation, expiry, revocation and last use of every key; never a token.
         *
         *     Scope: `admin`.
         */
        get: operations["listApiKeys"];
        put?: never;
        /**
         * Create an API key
         * @description Answers the token once, here; only its hash is stored. `expires_in` is a number and a unit (30m, 12h, 90d, 2w); without it the key does not expire. The first key created ends AUTH_MODE=auto's open door for loopback callers.
         *
         *     Scope: `admin`.
         */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key
         * @description Takes effect at once on this API process, within 5 s on others.
         *
         *     Scope: `admin`.
         */
        delete: operations["revokeApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/cve/{vulnerability_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What the fleet knows about one vulnerability: KEV, EPSS, NVD, aliases
         * @description One answer per vulnerability id seen in any scan (CVE-…, GHSA-…, GO-…), with each source's outcome: `found`, `not_listed` (checked, absent), `error` (with the reason; tried again later) or `not_checked` (never asked: offline, not applicable, or not yet). 404 for an id no scan has.
         *
         *     Scope: `read` (or `admin`).
         */
        get: operations["getCve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** ApiKey */
        ApiKey: {
            id: number;
            name: string;
            scopes: ("scans:write" | "read" | "analysis:write" | "admin")[];
            /** @description The token's public part (vt_<id>), to tell keys apart */
            prefix: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            last_used_at: string | null;
            /** Format: date-time */
            expires_at: string | null;
            /** Format: date-time */
            revoked_at: string | null;
        };
        /** Error */
        Error: {
            /** @description Short machine-readable code, e.g. invalid_report */
            error: string;
            /** @description What went wrong, for a person */
            message: string;
        };
        /** Scan */
        Scan: {
            id: number;
            /** @description SHA-256 of the image name and the report's canonical JSON */
            report_hash: string;
            /** @description image_name parameter, else ArtifactName, else derived from a legacy OS target */
            image_name: string | null;
            artifact_name: string | null;
            artifact_type: string | null;
            os_family: string | null;
            os_name: string | null;
            os_eosl: boolean | null;
            schema_version: number | null;
            /** @enum {string} */
            report_format: "v2" | "legacy";
            trivy_version: string | null;
            /** Format: date-time */
            report_created_at: string | null;
            /** Format: date-time */
            ingested_at: string;
            finding_count: number;
            critical_count: number;
            high_count: number;
            medium_count: number;
            low_count: number;
            unknown_count: number;
            /** @description Distinct vulnerabilities of the scan in CISA's KEV; null until the scan is enriched */
            kev_count: number | null;
            /** @description The highest deterministic risk score among its findings; null until enriched or when empty */
            max_risk_score: number | null;
        };
        /** Finding */
        Finding: {
            id: number;
            scan_id: number;
            vulnerability_id: string | null;
            pkg_name: string;
            pkg_id: string | null;
            purl: string | null;
            installed_version: string | null;
            /** @description As Trivy wrote it: may be a comma-separated list or a range */
            fixed_version: string | null;
            /** @description Trivy's status: fixed, affected, … */
            status: string | null;
            /** @enum {string} */
            severity: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "UNKNOWN";
            target: string;
            class: string | null;
            type: string | null;
            pkg_path: string | null;
            title: string | null;
            primary_url: string | null;
            cvss: {
                [key: string]: unknown;
            } | null;
            cwe_ids: string[] | null;
            llm_analysis_summary: string | null;
            llm_analysis_recommendations: string[] | null;
            llm_analysis_risk_score: number | null;
            /** Format: date-time */
            llm_analysis_timestamp: string | null;
            llm_analysis_prompt_hash: string | null;
            llm_analysis_model: string | null;
            /** @enum {string|null} */
            llm_analysis_status: "pending" | "processing" | "completed" | "failed" | null;
            llm_analysis_error: string | null;
            /** Risk */
            risk: {
                /** @description Deterministic risk; the README gives the formula */
                score: number;
                /** @enum {string} */
                band: "low" | "medium" | "high" | "critical";
                factors: {
                    name: string;
                    /** @description The input as it was used; null when unknown */
                    value: (string | null) | number | boolean;
                    /** @description What this input added to the score before rounding */
                    points: number;
                }[];
                /** @description The model's risk score (llm_analysis_risk_score); null until analysed */
                llm_score: number | null;
                /** @description The two scores differ by 3 or more */
                disagreement: boolean;
            };
            /** Exploitation */
            exploitation: {
                /** @description FIRST EPSS probability of exploitation in the next 30 days */
                epss_score: number | null;
                epss_percentile: number | null;
                /** Format: date */
                epss_date: string | null;
                /** @description In CISA's KEV catalogue; false when checked and not listed; null while not checked */
                kev_listed: boolean | null;
                /** Format: date */
                kev_date_added: string | null;
                /** Format: date */
                kev_due_date: string | null;
                /** @description KEV's known ransomware campaign use; null when unknown */
                ransomware: boolean | null;
            };
        };
        /** FindingDetail */
        FindingDetail: {
            id: number;
            scan_id: number;
            vulnerability_id: string | null;
            pkg_name: string;
            pkg_id: string | null;
            purl: string | null;
            installed_version: string | null;
            /** @description As Trivy wrote it: may be a comma-separated list or a range */
            fixed_version: string | null;
            /** @description Trivy's status: fixed, affected, … */
            status: string | null;
            /** @enum {string} */
            severity: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "UNKNOWN";
            target: string;
            class: string | null;
            type: string | null;
            pkg_path: string | null;
            title: string | null;
            primary_url: string | null;
            cvss: {
                [key: string]: unknown;
            } | null;
            cwe_ids: string[] | null;
            llm_analysis_summary: string | null;
            llm_analysis_recommendations: string[] | null;
            llm_analysis_risk_score: number | null;
            /** Format: date-time */
            llm_analysis_timestamp: string | null;
            llm_analysis_prompt_hash: string | null;
            llm_analysis_model: string | null;
            /** @enum {string|null} */
            llm_analysis_status: "pending" | "processing" | "completed" | "failed" | null;
            llm_analysis_error: string | null;
            /** Risk */
            risk: {
                /** @description Deterministic risk; the README gives the formula */
                score: number;
                /** @enum {string} */
                band: "low" | "medium" | "high" | "critical";
                factors: {
                    name: string;
                    /** @description The input as it was used; null when unknown */
                    value: (string | null) | number | boolean;
                    /** @description What this input added to the score before rounding */
                    points: number;
                }[];
                /** @description The model's risk score (llm_analysis_risk_score); null until analysed */
                llm_score: number | null;
                /** @description The two scores differ by 3 or more */
                disagreement: boolean;
            };
            /** Exploitation */
            exploitation: {
                /** @description FIRST EPSS probability of exploitation in the next 30 days */
                epss_score: number | null;
                epss_percentile: number | null;
                /** Format: date */
                epss_date: string | null;
                /** @description In CISA's KEV catalogue; false when checked and not listed; null while not checked */
                kev_listed: boolean | null;
                /** Format: date */
                kev_date_added: string | null;
                /** Format: date */
                kev_due_date: string | null;
                /** @description KEV's known ransomware campaign use; null when unknown */
                ransomware: boolean | null;
            };
            /** @description The vulnerability object exactly as Trivy reported it */
            cve_data: {
                [key: string]: unknown;
            };
        };
        /** AnalysisProgress */
        AnalysisProgress: {
            scan_id: number;
            /** @description Findings of the scan */
            findings: number;
            by_status: {
                /** @description Never asked for (below ANALYZE_MIN_SEVERITY, or analysis on ingest off) */
                not_requested: number;
                /** @description Waiting for the worker */
                pending: number;
                /** @description Being answered, or waiting for a retry */
                processing: number;
                /** @description Analysed */
                completed: number;
                /** @description Failed; llm_analysis_error says why */
                failed: number;
            };
            questions: {
                /** @description Distinct questions the requested findings ask the model */
                total: number;
                /** @description Questions with a stored answer */
                answered: number;
                /** @description Answered questions whose first answer needed the one repair turn */
                repaired: number;
            };
            /** @description Seconds until every waiting question is answered at the recent answer rate; null when unknown */
            eta_seconds: number | null;
        };
        /** AnalysisRetry */
        AnalysisRetry: {
            /** @description Distinct failed questions queued again */
            questions: number;
            /** @description Findings back to pending: every failed finding of those questions, in any scan */
            findings: number;
        };
        /** Cve */
        Cve: {
            vulnerability_id: string;
            /** @description CVE ids OSV gives for a non-CVE id */
            aliases: string[];
            epss: {
                score: number;
                percentile: number;
                /** Format: date */
                date: string;
            } | null;
            kev: {
                /** Format: date */
                date_added: string;
                /** Format: date */
                due_date: string | null;
                known_ransomware_campaign_use: boolean | null;
                required_action: string | null;
                vulnerability_name: string | null;
            } | null;
            nvd: {
                cvss: {
                    version: string;
                    base_score: number;
                    vector: string | null;
                    source: string | null;
                }[];
                cwe_ids: string[];
                vuln_status: string | null;
                published: string | null;
                last_modified: string | null;
            } | null;
            sources: {
                kev: {
                    /**
                     * @description not_listed: checked and absent; not_checked: never asked (offline, not applicable or not yet)
                     * @enum {string}
                     */
                    outcome: "found" | "not_listed" | "error" | "not_checked";
                    /** Format: date-time */
                    checked_at: string | null;
                    error: string | null;
                };
                epss: {
                    /**
                     * @description not_listed: checked and absent; not_checked: never asked (offline, not applicable or not yet)
                     * @enum {string}
                     */
                    outcome: "found" | "not_listed" | "error" | "not_checked";
                    /** Format: date-time */
                    checked_at: string | null;
                    error: string | null;
                };
                nvd: {
                    /**
                     * @description not_listed: checked and absent; not_checked: never asked (offline, not applicable or not yet)
                     * @enum {string}
                     */
                    outcome: "found" | "not_listed" | "error" | "not_checked";
                    /** Format: date-time */
                    checked_at: string | null;
                    error: string | null;
                };
                osv: {
                    /**
                     * @description not_listed: checked and absent; not_checked: never asked (offline, not applicable or not yet)
                     * @enum {string}
                     */
                    outcome: "found" | "not_listed" | "error" | "not_checked";
                    /** Format: date-time */
                    checked_at: string | null;
                    error: string | null;
                };
            };
        };
        /** ScanPage */
        ScanPage: {
            items: components["schemas"]["Scan"][];
            /** @description Items matching the query, across all pages */
            total: number;
            /** @description The page size asked for */
            limit: number;
            /** @description Items skipped before this page */
            offset: number;
        };
        /** FindingPage */
        FindingPage: {
            scan_id: number;
            items: components["schemas"]["Finding"][];
            /** @description Findings matching the filters, across all pages */
            total: number;
            /** @description The page size asked for */
            limit: number;
            /** @description Findings skipped before this page */
            offset: number;
        };
        /**
         * Skipped
         * @description Entries of the report that vulntriage does not ingest (it stores vulnerabilities only), counted across Results
         */
        Skipped: {
            /** @description Entries of the results' Misconfigurations arrays */
            misconfigurations: number;
            /** @description Entries of the results' Secrets arrays */
            secrets: number;
            /** @description Entries of the results' Licenses arrays */
            licenses: number;
        };
        /** AnalysisCompleted */
        AnalysisCompleted: {
            finding_id: number;
            /** @enum {string} */
            status: "completed";
            /** @description Served from stored analyses; this request made no LLM call */
            cached: boolean;
            summary: string;
            recommendations: string[];
            risk_score: number;
            /** Format: date-time */
            analyzed_at: string;
            model: string | null;
            prompt_hash: string;
            /** Risk */
            risk: {
                /** @description Deterministic risk; the README gives the formula */
                score: number;
                /** @enum {string} */
                band: "low" | "medium" | "high" | "critical";
                factors: {
                    name: string;
                    /** @description The input as it was used; null when unknown */
                    value: (string | null) | number | boolean;
                    /** @description What this input added to the score before rounding */
                    points: number;
                }[];
                /** @description The model's risk score (llm_analysis_risk_score); null until analysed */
                llm_score: number | null;
                /** @description The two scores differ by 3 or more */
                disagreement: boolean;
            };
        };
        /** AnalysisFailed */
        AnalysisFailed: {
            finding_id: number;
            /** @enum {string} */
            status: "failed";
            /** @description Why; `?refresh=true` asks again */
            error: string;
            prompt_hash: string | null;
            /** Risk */
            risk: {
                /** @description Deterministic risk; the README gives the formula */
                score: number;
                /** @enum {string} */
                band: "low" | "medium" | "high" | "critical";
                factors: {
                    name: string;
                    /** @description The input as it was used; null when unknown */
                    value: (string | null) | number | boolean;
                    /** @description What this input added to the score before rounding */
                    points: number;
                }[];
                /** @description The model's risk score (llm_analysis_risk_score); null until analysed */
                llm_score: number | null;
                /** @description The two scores differ by 3 or more */
                disagreement: boolean;
            };
        };
        /** AnalysisWaiting */
        AnalysisWaiting: {
            finding_id: number;
            /** @enum {string} */
            status: "pending" | "processing";
            /** Risk */
            risk: {
                /** @description Deterministic risk; the README gives the formula */
                score: number;
                /** @enum {string} */
                band: "low" | "medium" | "high" | "critical";
                factors: {
                    name: string;
                    /** @description The input as it was used; null when unknown */
                    value: (string | null) | number | boolean;
                    /** @description What this input added to the score before rounding */
                    points: number;
                }[];
                /** @description The model's risk score (llm_analysis_risk_score); null until analysed */
                llm_score: number | null;
                /** @description The two scores differ by 3 or more */
                disagreement: boolean;
            };
        };
        /** TrivyResult */
        TrivyResult: {
            Target: string;
            /** @description os-pkgs, lang-pkgs, config, secret, license, … */
            Class?: string;
            /** @description alpine, debian, npm, gomod, … */
            Type?: string;
            /** @description One finding per entry; legacy Trivy writes null for none */
            Vulnerabilities?: {
                [key: string]: unknown;
            }[] | null;
            /** @description Misconfigurations: counted in the answer's `skipped`, not stored */
            Misconfigurations?: {
                [key: string]: unknown;
            }[] | null;
            /** @description Secrets: counted in the answer's `skipped`, not stored */
            Secrets?: {
                [key: string]: unknown;
            }[] | null;
            /** @description Licenses: counted in the answer's `skipped`, not stored */
            Licenses?: {
                [key: string]: unknown;
            }[] | null;
        } & {
            [key: string]: unknown;
        };
        /**
         * TrivyReport
         * @description The output of `trivy image -f json` (SchemaVersion 2); every other key is kept as sent
         */
        TrivyReport: {
            /** @description Always 2 (Trivy ≥ 0.20) */
            SchemaVersion: number;
            /** @description The image name, unless image_name is given */
            ArtifactName?: string;
            /** @description container_image, filesystem, repository, … */
            ArtifactType?: string;
            /** Format: date-time */
            CreatedAt?: string;
            Metadata?: {
                [key: string]: unknown;
            };
            Results?: components["schemas"]["TrivyResult"][];
        } & {
            [key: string]: unknown;
        };
        /**
         * LegacyTrivyReport
         * @description Trivy before 0.20: a bare array of results, or null for an empty scan
         */
        LegacyTrivyReport: components["schemas"]["TrivyResult"][] | null;
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description PostgreSQL and Redis answer */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                        /** @description Each dependency: ok or unavailable (the reason is logged at debug, never shown) */
                        checks: {
                            [key: string]: "ok" | "unavailable";
                        };
                    };
                };
            };
            /** @description A dependency does not answer; `checks` names which */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: string;
                        message: string;
                        /** @description Each dependency: ok or unavailable (the reason is logged at debug, never shown) */
                        checks: {
                            [key: string]: "ok" | "unavailable";
                        };
                    };
                };
            };
        };
    };
    listScans: {
        parameters: {
            query?: {
                /** @description Scans per page */
                limit?: number;
                /** @description Items to skip */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of scans */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScanPage"];
                };
            };
            /** @description Malformed request: a parameter is missing, out of range or unreadable */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A dependency (PostgreSQL) is not answering; nothing was written */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    ingestScan: {
        parameters: {
            query?: {
                /** @description Image name to file the scan under; overrides ArtifactName */
                image_name?: string;
            };
            header?: {
                /** @description gzip: the body is the gzip-compressed report (any other encoding answers 415) */
                "Content-Encoding"?: "gzip" | "x-gzip" | "identity";
            };
            path?: never;
            cookie?: never;
        };
        /** @description A Trivy JSON report. Send it as it is, or gzip-compressed with `Content-Encoding: gzip` (the size limit applies after decoding). */
        requestBody: {
            content: {
                "application/json": components["schemas"]["TrivyReport"] | components["schemas"]["LegacyTrivyReport"];
            };
        };
        responses: {
            /** @description This report was already stored for this image: nothing was written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {boolean} */
                        duplicate: true;
                        scan: components["schemas"]["Scan"];
                        /** @description As counted when the scan was stored; null for scans stored before counts were kept */
                        skipped: components["schemas"]["Skipped"] | null;
                    };
                };
            };
            /** @description A new scan was stored with its findings */
            201: {
                headers: {
                    /** @description The new scan's findings: /api/container/scans/{id}/findings */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {boolean} */
                        duplicate: false;
                        scan: components["schemas"]["Scan"];
                        /** @description Findings stored (exact repeats once) */
                        findings_ingested: number;
                        skipped: components["schemas"]["Skipped"];
                    };
                };
            };
            /** @description Malformed JSON, gzip or image_name */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The report is larger than MAX_REPORT_BYTES (after gzip decoding) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not application/json, or an encoding other than gzip */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description JSON that is not a Trivy report vulntriage can store; the message says where and why */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Busy (at the upload cap; Retry-After says when to retry) or PostgreSQL is not answering; nothing was written */
            503: {
                headers: {
                    /** @description Seconds to wait before sending the request again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getScan: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Numeric scan id, a positive integer (digits only) */
                scan_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The scan */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Scan"];
                };
            };
            /** @description The id is not a positive integer */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No scan with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A dependency (PostgreSQL) is not answering; nothing was written */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getLatestScanByImageName: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Image name, percent-encoded (ghcr.io%2Forg%2Fapp%3A1.0) */
                artifactname: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The image's latest scan */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Scan"];
                };
            };
            /** @description The image name cannot be stored (control or invisible characters, too long) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No scan of this image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A dependency (PostgreSQL) is not answering; nothing was written */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listScanFindings: {
        parameters: {
            query?: {
                /** @description Findings per page */
                limit?: number;
                /** @description Items to skip */
                offset?: number;
                /** @description Comma-separated severities, e.g. CRITICAL,HIGH */
                severity?: string;
                /** @description Comma-separated Trivy statuses, e.g. fixed,affected */
                status?: string;
                sort?: "severity" | "risk";
                /** @description true: only KEV-listed; false: only not listed */
                kev?: boolean;
                min_epss?: number;
                min_risk?: number;
            };
            header?: never;
            path: {
                /** @description Image name, percent-encoded (ghcr.io%2Forg%2Fapp%3A1.0) */
                identifier: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the scan's findings */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FindingPage"];
                };
            };
            /** @description Malformed request: a parameter is missing, out of range or unreadable */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No scan with this id, or of this image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A dependency (PostgreSQL) is not answering; nothing was written */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getFinding: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Numeric finding id, a positive integer (digits only) */
                finding_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The finding */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FindingDetail"];
                };
            };
            /** @description Malformed request: a parameter is missing, out of range or unreadable */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No finding with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A dependency (PostgreSQL) is not answering; nothing was written */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    analyzeFinding: {
        parameters: {
            query?: {
                /** @description Ask the model again (scope analysis:write) */
                refresh?: boolean;
            };
            header?: never;
            path: {
                /** @description Numeric finding id, a positive integer (digits only) */
                finding_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The stored analysis, or the failure that ended it */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AnalysisCompleted"] | components["schemas"]["AnalysisFailed"];
                };
            };
            /** @description Queued or being answered: ask again later */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AnalysisWaiting"];
                };
            };
            /** @description Malformed request: a parameter is missing, out of range or unreadable */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No finding with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A dependency (PostgreSQL) is not answering; nothing was written */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getScanAnalysisProgress: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Image name, percent-encoded (ghcr.io%2Forg%2Fapp%3A1.0) */
                identifier: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The scan's analysis progress */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AnalysisProgress"];
                };
            };
            /** @description Malformed request: a parameter is missing, out of range or unreadable */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No scan with this id, or of this image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A dependency (PostgreSQL) is not answering; nothing was written */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    retryFailedAnalyses: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Only the failed questions of this scan */
                    scan_id?: number;
                    /**
                     * @description Which analyses to ask again: the failed ones
                     * @enum {string}
                     */
                    status: "failed";
                };
            };
        };
        responses: {
            /** @description The failed questions were queued again */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AnalysisRetry"];
                };
            };
            /** @description Malformed request: a parameter is missing, out of range or unreadable */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No scan with this scan_id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A dependency (PostgreSQL) is not answering; nothing was written */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listApiKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every key */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["ApiKey"][];
                    };
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    scopes: ("scans:write" | "read" | "analysis:write" | "admin")[];
                    expires_in?: string;
                };
            };
        };
        responses: {
            /** @description The key was created; its token is in this answer only */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: components["schemas"]["ApiKey"];
                        /** @description vt_<id>_<secret>: shown once */
                        token: string;
                    };
                };
            };
            /** @description Malformed request: a parameter is missing, out of range or unreadable */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A key with this name exists */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Numeric key id, a positive integer (digits only) */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The key, now revoked */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No key with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description CVE-…, GHSA-…, GO-…: as the scans have it */
                vulnerability_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What the fleet knows about this vulnerability */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cve"];
                };
            };
            /** @description Malformed request: a parameter is missing, out of range or unreadable */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No API key, or one that is unknown, revoked or expired */
            401: {
                headers: {
                    /** @description Bearer realm="vulntriage" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The API key lacks the scope this operation needs */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No scan has this vulnerability id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Over this key's (or address's) limit for the minute */
            429: {
                headers: {
                    /** @description Seconds until the limit allows the request */
                    "Retry-After"?: number;
                    /** @description Requests allowed a minute */
                    "X-RateLimit-Limit"?: number;
                    /** @description Requests left this minute */
                    "X-RateLimit-Remaining"?: number;
                    /** @description Seconds until the count starts again */
                    "X-RateLimit-Reset"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A dependency (PostgreSQL) is not answering; nothing was written */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
