/**
 * The minter's PUBLIC listener (MINTER_WEBHOOK_PORT), started only with MINTER_PROVIDER=immutable. It serves one
 * route, `POST /webhooks/immutable`: Immutable's SNS messages, verified (immutable/sns.ts) before anything is read.
 * A `imtbl_zkevm_mint_request_updated` notification is applied like a poll result; a SubscriptionConfirmation is
 * confirmed by fetching its SubscribeURL (only when it is on an allowed SNS host). Everything else answers 404.
 */
import type { Db } from '@harvest/db';
import type { Logger } from '@harvest/service';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { MinterConfig } from './env.ts';
import { applyImmutableResult, type ImmutableMintResult } from './immutable/provider.ts';
import { createSnsVerifier, IMMUTABLE_TOPIC_PREFIXES, SnsVerificationError, type SnsVerifierOptions } from './immutable/sns.ts';
import type { MinterMetrics } from './metrics.ts';

export interface WebhookServer {
  app: FastifyInstance;
  /** The port it listens on. */
  port: number;
  close(): Promise<void>;
}

export interface WebhookAppOptions {
  config: MinterConfig;
  db: Db;
  log: Logger;
  metrics?: MinterMetrics;
  /** Overrides of the verifier (tests: certificate fetch, clock). */
  verifier?: Partial<SnsVerifierOptions>;
}

/** Builds the webhook app without listening. */
export async function buildWebhookApp(options: WebhookAppOptions): Promise<FastifyInstance> {
  const env = options.config.env;
  const verify = createSnsVerifier({
    certHost: new RegExp(env.IMMUTABLE_WEBHOOK_CERT_HOST),
    topicPrefix: env.IMMUTABLE_WEBHOOK_TOPIC_PREFIX ?? IMMUTABLE_TOPIC_PREFIXES[env.IMMUTABLE_ENVIRONMENT],
    ...options.verifier,
  });
  const app = Fastify({ loggerInstance: options.log as FastifyBaseLogger, trustProxy: false, bodyLimit: 256 * 1024 });
  // SNS posts JSON with `Content-Type: text/plain`.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(String(body)));
    } catch {
      done(Object.assign(new Error('body is not JSON'), { statusCode: 400 }), undefined);
    }
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such route' } }));
  app.post('/webhooks/immutable', async (request, reply) => {
    let message: Awaited<ReturnType<typeof verify>>;
    try {
      message = await verify(request.body);
    } catch (error) {
      if (!(error instanceof SnsVerificationError)) throw error;
      request.log.warn({ reason: error.message }, 'Immutable webhook refused');
      return reply.code(401).send({ error: { code: 'UNAUTHENTICATED', message: 'the message signature does not verify' } });
    }
    if (message.Type === 'SubscriptionConfirmation' && message.SubscribeURL) {
      const url = new URL(message.SubscribeURL);
      if (new RegExp(env.IMMUTABLE_WEBHOOK_CERT_HOST).test(url.hostname)) await fetch(url, { signal: AbortSignal.timeout(5000) });
      return reply.code(200).send({ ok: true });
    }
    if (message.Type !== 'Notification') return reply.code(200).send({ ok: true });
    let event: { event_name?: string; data?: ImmutableMintResult };
    try {
      event = JSON.parse(message.Message) as typeof event;
    } catch {
      return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: 'Message is not JSON' } });
    }
    if (event.event_name === 'imtbl_zkevm_mint_request_updated' && event.data?.reference_id) {
      await applyImmutableResult(options.db, {
        chainId: env.CHAIN_ID,
        result: event.data,
        confirmedBy: env.MINT_CONFIRMED_BY,
        ...(options.metrics ? { metrics: options.metrics } : {}),
      });
    }
    return reply.code(200).send({ ok: true });
  });
  return app;
}

/** Listens on HOST:MINTER_WEBHOOK_PORT. */
export async function startWebhookServer(options: WebhookAppOptions): Promise<WebhookServer> {
  const app = await buildWebhookApp(options);
  await app.listen({ host: options.config.env.HOST, port: options.config.env.MINTER_WEBHOOK_PORT });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : 0, close: () => app.close() };
}
