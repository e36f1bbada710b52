import { Type } from "typebox";

export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: "Short machine-readable code, e.g. invalid_report" }),
    message: Type.String({ description: "What went wrong, for a person" }),
  },
  { $id: "Error", title: "Error" },
);

export const errorRef = Type.Ref("Error");

export function paged<T extends ReturnType<typeof Type.Object>>(item: T, name: string) {
  return Type.Object(
    {
      items: Type.Array(item),
      total: Type.Integer({ description: "Items matching the query, across all pages" }),
      limit: Type.Integer(),
      offset: Type.Integer(),
    },
    { title: name },
  );
}
