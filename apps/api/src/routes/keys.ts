import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  type Authenticator,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  SCOPES,
  type ServiceContext,
} from "@vulntriage/core";
import { Type } from "typebox";
import { badRequest, errorRef, IdParam } from "../schemas/common.js";

export type KeysRoutesOptions = { ctx: ServiceContext; authenticator: Authenticator };

const access = { scope: "admin", bucket: "reads" } as const;
const keyRef = Type.Ref("ApiKey");

export const keysRoutes: FastifyPluginAsyncTypebox<KeysRoutesOptions> = async (
  app,
  { ctx, authenticator },
) => {
  app.post(
    "/api/keys",
    {
      config: { access },
      schema: {
        operationId: "createApiKey",
        tags: ["keys"],
        summary: "Create an API key",
        description:
          "Answers the token once, here; only its hash is stored. `expires_in` is a number and a unit " +
          "(30m, 12h, 90d, 2w); without it the key does not expire. The first key created ends " +
          "AUTH_MODE=auto's open door for loopback callers.",
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64 }),
            scopes: Type.Array(Type.Unsafe<string>({ type: "string", enum: [...SCOPES] }), {
              minItems: 1,
              maxItems: SCOPES.length,
            }),
            expires_in: Type.Optional(Type.String({ maxLength: 16 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object(
            {
              key: keyRef,
              token: Type.String({ description: "vt_<id>_<secret>: shown once" }),
            },
            { description: "The key was created; its token is in this answer only" },
          ),
          400: badRequest,
          409: errorRef("A key with this name exists"),
        },
      },
    },
    async (request, reply) => {
      const created = await createApiKey({
        ctx,
        input: { name: request.body.name, scopes: request.body.scopes, expiresIn: request.body.expires_in },
      });
      authenticator.forget();
      return reply.status(201).send(created);
    },
  );

  app.get(
    "/api/keys",
    {
      config: { access },
      schema: {
        operationId: "listApiKeys",
        tags: ["keys"],
        summary: "Every API key, revoked ones included, without secrets",
        description: "Names, scopes, creation, expiry, revocation and last use of every key; never a token.",
        response: {
          200: Type.Object({ items: Type.Array(keyRef) }, { description: "Every key" }),
        },
      },
    },
    async () => ({ items: await listApiKeys({ ctx }) }),
  );

  app.delete(
    "/api/keys/:id",
    {
      config: { access },
      schema: {
        operationId: "revokeApiKey",
        tags: ["keys"],
        summary: "Revoke an API key",
        description: "Takes effect at once on this API process, within 5 s on others.",
        params: Type.Object({ id: IdParam("key") }),
        response: {
          200: Type.Ref("ApiKey", { description: "The key, now revoked" }),
          404: errorRef("No key with this id"),
        },
      },
    },
    async (request) => {
      const revoked = await revokeApiKey({ ctx, input: { idOrName: String(request.params.id) } });
      authenticator.forget();
      return revoked;
    },
  );
};
