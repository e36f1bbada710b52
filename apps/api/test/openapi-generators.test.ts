import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// What client generators (openapi-typescript, @hey-api/openapi-ts) and validating proxies (Prism)
// need from the committed document; openapi.test.ts keeps it equal to what the code describes.
const document = JSON.parse(readFileSync(new URL("../openapi.json", import.meta.url), "utf8"));
const rootPackage = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));

type Operation = Record<string, any>;
const operations: { name: string; operation: Operation }[] = Object.entries(
  document.paths as Record<string, Record<string, Operation>>,
).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    name: `${method.toUpperCase()} ${path}`,
    operation,
  })),
);
const operation = (method: string, path: string) => document.paths[path][method] as Operation;
const parameter = (op: Operation, name: string) => op.parameters.find((p: any) => p.name === name);

/** Every schema object in the document, with where it is. */
function schemas(node: unknown, where = "#"): { where: string; schema: Record<string, any> }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => schemas(item, `${where}/${i}`));
  if (typeof node !== "object" || node === null) return [];
  return [
    { where, schema: node as Record<string, any> },
    ...Object.entries(node).flatMap(([key, child]) => schemas(child, `${where}/${key}`)),
  ];
}

describe("the OpenAPI document for generated clients", () => {
  it("should make every parameter with a default optional", () => {
    for (const { name, operation: op } of operations) {
      for (const p of op.parameters ?? []) {
        if (p.schema?.default !== undefined) expect(p.required, `${name} ${p.name}`).toBe(false);
      }
    }
    for (const [method, path, name] of [
      ["get", "/api/container/scans", "limit"],
      ["get", "/api/container/scans", "offset"],
      ["get", "/api/container/scans/{identifier}/findings", "limit"],
      ["get", "/api/container/scans/{identifier}/findings", "offset"],
      ["get", "/api/llm/analyze/container/{finding_id}", "refresh"],
    ] as const) {
      expect(parameter(operation(method, path), name).required, `${path} ${name}`).toBe(false);
    }
    expect(operation("get", "/api/container/scans").parameters.every((p: any) => !p.required)).toBe(true);
  });

  it("should say null with nullable on a typed schema, never as a null-only enum", () => {
    const all = schemas(document);
    for (const { where, schema } of all) {
      if (Array.isArray(schema.enum)) {
        expect(schema.enum.filter((v: unknown) => v !== null).length, where).toBeGreaterThan(0);
        if (schema.enum.includes(null)) expect(schema.nullable, where).toBe(true);
      }
      if (schema.nullable === true) expect(typeof schema.type, where).toBe("string");
      for (const member of schema.anyOf ?? []) {
        expect(member.enum?.length === 1 && member.enum[0] === null, `${where} anyOf`).toBe(false);
      }
    }
    expect(document.components.schemas.Finding.properties.llm_analysis_status).toEqual({
      type: "string",
      enum: ["pending", "processing", "completed", "failed", null],
      nullable: true,
    });
    expect(document.components.schemas.Scan.properties.report_format).toEqual({
      type: "string",
      enum: ["v2", "legacy"],
    });
  });

  it("should reference the Scan and Finding components from the pages instead of repeating them", () => {
    const { ScanPage, FindingPage } = document.components.schemas;
    expect(ScanPage.properties.items.items).toEqual({ $ref: "#/components/schemas/Scan" });
    expect(FindingPage.properties.items.items).toEqual({ $ref: "#/components/schemas/Finding" });
    const ok = (method: string, path: string) =>
      operation(method, path).responses["200"].content["application/json"].schema;
    expect(ok("get", "/api/container/scans")).toEqual({ $ref: "#/components/schemas/ScanPage" });
    expect(ok("get", "/api/container/scans/{identifier}/findings")).toEqual({
      $ref: "#/components/schemas/FindingPage",
    });
    expect(ok("get", "/api/scans/{scan_id}")).toEqual({ $ref: "#/components/schemas/Scan" });
    // No operation carries a copy of the Scan's properties.
    const scanKeys = JSON.stringify(Object.keys(document.components.schemas.Scan.properties));
    const copies = schemas(document.paths).filter(
      ({ schema }) => schema.properties && JSON.stringify(Object.keys(schema.properties)) === scanKeys,
    );
    expect(copies.map((c) => c.where)).toEqual([]);
  });

  it("should describe every operation and every response", () => {
    expect(operations.length).toBeGreaterThanOrEqual(14);
    for (const { name, operation: op } of operations) {
      expect(op.description?.trim().length, name).toBeGreaterThan(20);
      expect(op.summary?.trim().length, name).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
        expect(response.description, `${name} ${status}`).not.toBe("Default Response");
        expect(response.description.trim().length, `${name} ${status}`).toBeGreaterThan(5);
      }
    }
  });

  it("should name its servers and its licence", () => {
    expect(document.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    expect(document.info.license.name).toBe(rootPackage.license);
    expect(document.info.license.url).toMatch(/^https:\/\/www\.apache\.org\/licenses\/LICENSE-2\.0$/);
  });

  it("should type the upload body and document gzip as a header", () => {
    const upload = operation("post", "/api/container/scans");
    expect(Object.keys(upload.requestBody.content)).toEqual(["application/json"]);
    expect(upload.requestBody.content["application/json"].schema.anyOf).toEqual([
      { $ref: "#/components/schemas/TrivyReport" },
      { $ref: "#/components/schemas/LegacyTrivyReport" },
    ]);
    const report = document.components.schemas.TrivyReport;
    expect(report.type).toBe("object");
    expect(report.additionalProperties).toBe(true);
    expect(report.properties.SchemaVersion.type).toBe("integer");
    expect(report.properties.Results.items).toEqual({ $ref: "#/components/schemas/TrivyResult" });
    expect(document.components.schemas.LegacyTrivyReport).toMatchObject({ type: "array", nullable: true });
    const encoding = parameter(upload, "Content-Encoding");
    expect(encoding).toMatchObject({ in: "header", required: false });
    expect(encoding.schema.enum).toContain("gzip");
  });

  it("should type path ids as positive integers", () => {
    for (const [path, name] of [
      ["/api/container/findings/{finding_id}", "finding_id"],
      ["/api/llm/analyze/container/{finding_id}", "finding_id"],
      ["/api/scans/{scan_id}", "scan_id"],
      ["/api/keys/{id}", "id"],
    ] as const) {
      const methods = document.paths[path];
      for (const op of Object.values(methods) as Operation[]) {
        const p = parameter(op, name);
        expect(p.required, path).toBe(true);
        expect(p.schema, path).toEqual({ type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
      }
    }
  });

  it("should put the scan-by-id route where no image name can reach it", () => {
    const imageRoutes = Object.keys(document.paths).filter((p) => p.startsWith("/api/container/scans/"));
    expect(imageRoutes.length).toBeGreaterThan(0);
    expect(document.paths["/api/scans/{scan_id}"]?.get?.operationId).toBe("getScan");
    expect(Object.keys(document.paths).filter((p) => p.startsWith("/api/scans"))).toEqual([
      "/api/scans/{scan_id}",
    ]);
  });

  it("should declare the headers answers carry", () => {
    const upload = operation("post", "/api/container/scans");
    expect(Object.keys(upload.responses["201"].headers)).toEqual(["Location"]);
    expect(upload.responses["200"].headers).toBeUndefined();
    expect(upload.responses["503"].headers["Retry-After"].schema.type).toBe("integer");
    expect(upload.responses["201"].content["application/json"].schema.properties.skipped).toEqual({
      $ref: "#/components/schemas/Skipped",
    });
    for (const { name, operation: op } of operations) {
      if (name === "GET /health") {
        expect(op.security).toEqual([]);
        continue;
      }
      expect(op.responses["401"].headers["WWW-Authenticate"], name).toBeDefined();
      expect(op.responses["403"], name).toBeDefined();
      expect(op.responses["429"].headers["Retry-After"], name).toBeDefined();
    }
  });
});
