import { type TSchema, Type } from "typebox";

/** The envelope of every paginated list the API serves. */
export function paged<T extends TSchema>(item: T, name: string) {
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
