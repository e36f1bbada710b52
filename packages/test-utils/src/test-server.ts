import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";

/** Listens on a random loopback port so tests go through real HTTP, not app.inject. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}
