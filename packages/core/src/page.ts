import { type TSchema, Type } from "typebox";

/** The envelope of every paginated list the API serves; `item` is a reference to a component. */
export function paged<T extends TSchema>(item: T, name: string) {
  return Type.Object(
    {
      items: Type.Array(item),
      total: Type.Integer({ description: "Items matching the query, across all pages" }),
      limit: Type.Integer({ description: "The page size asked for" }),
      offset: Type.Integer({ description: "Items skipped before this page" }),
    },
    { $id: name, title: name },
  );
}
