// @fastify/swagger writes a TypeBox union of literals as `anyOf` of one-value enums, and `null`
// in a union as `{type: object, nullable: true, enum: [null]}`, which generators turn into
// `never | null`. OpenAPI 3.0.3 says it with `nullable: true` on a typed schema; this rewrites
// each such union into that form. Anything it cannot rewrite faithfully stops the build.

type Node = Record<string, unknown>;

const isObject = (value: unknown): value is Node =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function isNullSchema(schema: unknown): boolean {
  return (
    isObject(schema) &&
    schema.nullable === true &&
    Array.isArray(schema.enum) &&
    schema.enum.length === 1 &&
    schema.enum[0] === null
  );
}

/** `{type: "string", enum: ["a"]}` and nothing else: one literal. */
function literalOf(schema: unknown): { type: string; values: unknown[] } | undefined {
  if (!isObject(schema) || typeof schema.type !== "string" || !Array.isArray(schema.enum)) return undefined;
  if (Object.keys(schema).some((key) => key !== "type" && key !== "enum")) return undefined;
  return { type: schema.type, values: schema.enum };
}

function tidyUnion(node: Node, where: string): void {
  const members = node.anyOf;
  if (!Array.isArray(members) || node.oneOf !== undefined) return;
  const nullable = members.some(isNullSchema);
  const rest = members.filter((member) => !isNullSchema(member));
  const literals = rest.map(literalOf);
  const type = literals[0]?.type;
  if (type !== undefined && literals.every((literal) => literal?.type === type)) {
    delete node.anyOf;
    node.type = type;
    node.enum = [...literals.flatMap((literal) => literal?.values ?? []), ...(nullable ? [null] : [])];
    if (nullable) node.nullable = true;
    return;
  }
  if (!nullable) return;
  const only = rest.length === 1 ? rest[0] : undefined;
  if (isObject(only) && typeof only.$ref === "string") {
    // A nullable reference: every component this API references is an object.
    delete node.anyOf;
    Object.assign(node, { type: "object", nullable: true, allOf: [only] });
    return;
  }
  // A union of types with null: the first typed member takes null too.
  const typed = rest.find((member) => isObject(member) && typeof member.type === "string");
  if (!isObject(typed)) throw new Error(`${where}: a nullable union without a typed member`);
  typed.nullable = true;
  node.anyOf = rest;
}

function walk(value: unknown, where: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      walk(item, `${where}[${i}]`);
    });
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) walk(child, `${where}/${key}`);
  tidyUnion(value, where);
}

export function tidyForOpenApi30<T>(document: T): T {
  walk(document, "#");
  return document;
}
