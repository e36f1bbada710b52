import type { DatabaseHandle } from "@vulntriage/db";

/** What every core verb needs from the outside world; the API and the worker each build one. */
export type ServiceContext = {
  database: DatabaseHandle;
};
