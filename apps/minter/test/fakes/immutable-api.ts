/**
 * FAKE of Immutable's minting API, for tests only: a local HTTP server on 127.0.0.1 that answers the documented
 * requests of `@imtbl/blockchain-data` 2.24.8 (the shapes below come from its generated OpenAPI client types,
 * `@imtbl/generated-clients` multi-rollup models), so the real SDK talks to it unchanged. It is not Immutable and
 * proves nothing about Immutable's servers beyond these shapes.
 *
 * - `POST /v1/chains/{chain_name}/collections/{contract_address}/nfts/mint-requests` with
 *   `{ assets: [{ reference_id, owner_address, token_id?, amount?, metadata? }] }` -> 202
 *   CreateMintRequestResult `{ imx_mint_requests_limit, imx_mint_requests_limit_reset, imx_remaining_mint_requests,
 *   imx_mint_requests_retry_after }`, the same values as `imx-…` headers; a reference id used before -> 409;
 *   over the per-minute limit -> 429 with the headers. The `x-immutable-api-key` header is required (401).
 * - `GET …/mint-requests/{reference_id}` -> ListMintRequestsResult `{ result: [GetMintRequestResult], page }`
 *   (`result: []` for an unknown id); `GET …/mint-requests?status=&page_size=` -> the collection's requests.
 *   GetMintRequestResult: `{ chain: { id, name }, collection_address, reference_id, owner_address, token_id,
 *   amount, activity_id, transaction_hash, created_at, updated_at, error: { message } | null, status }` with
 *   status `pending` | `succeeded` | `failed`; token_id and transaction_hash are set once it succeeds.
 * - Webhooks: `sendMintWebhook` posts an SNS Notification (`Type`, `MessageId`, `TopicArn`, `Message` = the event
 *   JSON `{ event_name: 'imtbl_zkevm_mint_request_updated', event_id, chain, data }`, `Timestamp`,
 *   `SignatureVersion: '2'`, `Signature`, `SigningCertURL`) signed with the fake's own RSA key, whose public key it
 *   serves at `/cert.pem` (the verifier accepts a PEM key where SNS serves an X.509 certificate).
 *
 * Assumptions where Immutable's documentation is silent: the 409 body `{ code: 'CONFLICT_ERROR', message }`, the
 * reset header as an ISO date and retry-after in seconds.
 */
import { createSign, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface FakeMintRequest {
  chain: { id: string; name: string };
  collection_address: string;
  reference_id: string;
  owner_address: string;
  token_id: string | null;
  amount: string | null;
  activity_id: string | null;
  transaction_hash: string | null;
  created_at: string;
  updated_at: string;
  error: { message: string } | null;
  status: 'pending' | 'succeeded' | 'failed';
  /** Not part of the API: the token id the asset asked for. */
  requestedTokenId: string | null;
}

export interface FakeImmutableOptions {
  apiKey: string;
  /** Assets accepted per rolling minute (standard tier: 200). */
  mintsPerMinute?: number;
  /** Requests settle (succeed or fail) this long after creation; 0 settles on the next read. */
  settleAfterMs?: number;
  /** The SNS TopicArn the fake's webhooks carry. */
  topicArn?: string;
}

export interface FakeImmutableApi {
  url: string;
  /** Where the fake serves its signing key. */
  certUrl: string;
  requests: Map<string, FakeMintRequest>;
  /** POST bodies received, in order (to check what the client sent). */
  creates: Array<{ chainName: string; contract: string; assets: unknown[] }>;
  /** Reference ids (exact or by predicate) that fail instead of succeeding. */
  failWhen: (referenceId: string) => boolean;
  /** The next create is processed, then its connection is cut before any answer (a lost response). */
  dropNextResponse: boolean;
  sendMintWebhook(url: string, request: FakeMintRequest, tamper?: (message: Record<string, string>) => void): Promise<Response>;
  close(): Promise<void>;
}

const CHAIN_IDS: Record<string, string> = { 'imtbl-zkevm-testnet': 'eip155:13473', 'imtbl-zkevm-mainnet': 'eip155:13371' };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
}

export async function startFakeImmutableApi(options: FakeImmutableOptions): Promise<FakeImmutableApi> {
  const limit = options.mintsPerMinute ?? 200;
  const settleAfter = options.settleAfterMs ?? 0;
  const window: Array<{ at: number; count: number }> = [];
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const topicArn = options.topicArn ?? 'arn:aws:sns:us-east-2:783421985614:imtbl-fake-topic';

  const fake: Omit<FakeImmutableApi, 'url' | 'certUrl' | 'close' | 'sendMintWebhook'> = {
    requests: new Map(),
    creates: [],
    failWhen: () => false,
    dropNextResponse: false,
  };

  function rateHeaders(): Record<string, string> {
    const now = Date.now();
    while (window.length > 0 && now - (window[0]?.at ?? now) >= 60_000) window.shift();
    const used = window.reduce((n, w) => n + w.count, 0);
    const reset = new Date((window[0]?.at ?? now) + 60_000).toISOString();
    return {
      'imx-mint-requests-limit': String(limit),
      'imx-remaining-mint-requests': String(Math.max(0, limit - used)),
      'imx-mint-requests-limit-reset': reset,
      'imx-mint-requests-retry-after': String(Math.max(1, Math.ceil(((window[0]?.at ?? now) + 60_000 - now) / 1000))),
    };
  }

  function settle(request: FakeMintRequest): void {
    if (request.status !== 'pending' || Date.now() - Date.parse(request.created_at) < settleAfter) return;
    request.updated_at = new Date().toISOString();
    if (fake.failWhen(request.reference_id)) {
      request.status = 'failed';
      request.error = { message: 'fake: mint failed' };
      return;
    }
    request.status = 'succeeded';
    request.token_id = request.requestedTokenId ?? BigInt(`0x${randomBytes(8).toString('hex')}`).toString();
    request.transaction_hash = `0x${randomBytes(32).toString('hex')}`;
    request.activity_id = randomUUID();
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/cert.pem') {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' });
      res.end(publicPem);
      return;
    }
    const match = /^\/v1\/chains\/([^/]+)\/collections\/(0x[0-9a-fA-F]{40})\/nfts\/mint-requests(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) return send(res, 404, { code: 'NOT_FOUND', message: 'no such route' });
    if (req.headers['x-immutable-api-key'] !== options.apiKey)
      return send(res, 401, { code: 'UNAUTHORISED_REQUEST', message: 'bad API key' });
    const [, chainName = '', contract = '', referenceId] = match;
    if (req.method === 'POST' && !referenceId) {
      const body = (await readJson(req).catch(() => null)) as { assets?: unknown } | null;
      const assets = body?.assets;
      const valid =
        Array.isArray(assets) &&
        assets.length > 0 &&
        assets.length <= 100 &&
        assets.every(
          (a) =>
            a &&
            typeof a.reference_id === 'string' &&
            a.reference_id.length > 0 &&
            typeof a.owner_address === 'string' &&
            /^0x[0-9a-fA-F]{40}$/.test(a.owner_address) &&
            (a.token_id === undefined || a.token_id === null || /^\d{1,78}$/.test(a.token_id)) &&
            (a.metadata === undefined || typeof a.metadata === 'object'),
        );
      if (!valid)
        return send(res, 400, { code: 'VALIDATION_ERROR', message: 'assets: [{ reference_id, owner_address, token_id?, metadata? }]' });
      fake.creates.push({ chainName, contract: contract.toLowerCase(), assets });
      const existing = assets.find((a: { reference_id: string }) => fake.requests.has(`${contract.toLowerCase()}:${a.reference_id}`));
      if (existing)
        return send(res, 409, { code: 'CONFLICT_ERROR', message: `reference_id ${existing.reference_id} already exists` }, rateHeaders());
      const headers = rateHeaders();
      if (Number(headers['imx-remaining-mint-requests']) < assets.length)
        return send(res, 429, { code: 'TOO_MANY_REQUESTS_ERROR', message: 'mint rate limit' }, headers);
      window.push({ at: Date.now(), count: assets.length });
      const now = new Date().toISOString();
      for (const asset of assets as Array<{ reference_id: string; owner_address: string; token_id?: string | null }>) {
        fake.requests.set(`${contract.toLowerCase()}:${asset.reference_id}`, {
          chain: { id: CHAIN_IDS[chainName] ?? 'eip155:0', name: chainName },
          collection_address: contract.toLowerCase(),
          reference_id: asset.reference_id,
          owner_address: asset.owner_address.toLowerCase(),
          token_id: null,
          amount: null,
          activity_id: null,
          transaction_hash: null,
          created_at: now,
          updated_at: now,
          error: null,
          status: 'pending',
          requestedTokenId: asset.token_id ?? null,
        });
      }
      if (fake.dropNextResponse) {
        fake.dropNextResponse = false;
        req.socket.destroy();
        return;
      }
      const after = rateHeaders();
      return send(
        res,
        202,
        {
          imx_mint_requests_limit: after['imx-mint-requests-limit'],
          imx_mint_requests_limit_reset: after['imx-mint-requests-limit-reset'],
          imx_remaining_mint_requests: after['imx-remaining-mint-requests'],
          imx_mint_requests_retry_after: after['imx-mint-requests-retry-after'],
        },
        after,
      );
    }
    if (req.method === 'GET') {
      const all = [...fake.requests.values()].filter((r) => r.collection_address === contract.toLowerCase());
      for (const r of all) settle(r);
      const strip = ({ requestedTokenId: _, ...r }: FakeMintRequest) => r;
      const page = { previous_cursor: null, next_cursor: null };
      if (referenceId)
        return send(res, 200, { result: all.filter((r) => r.reference_id === decodeURIComponent(referenceId)).map(strip), page });
      const status = url.searchParams.get('status');
      const size = Number(url.searchParams.get('page_size') ?? 200);
      return send(res, 200, {
        result: all
          .filter((r) => !status || r.status === status)
          .slice(0, size)
          .map(strip),
        page,
      });
    }
    return send(res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'no' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;

  return {
    ...fake,
    get failWhen() {
      return fake.failWhen;
    },
    set failWhen(fn) {
      fake.failWhen = fn;
    },
    get dropNextResponse() {
      return fake.dropNextResponse;
    },
    set dropNextResponse(v) {
      fake.dropNextResponse = v;
    },
    url,
    certUrl: `${url}/cert.pem`,
    async sendMintWebhook(target, request, tamper) {
      const { requestedTokenId: _, ...data } = request;
      const message: Record<string, string> = {
        Type: 'Notification',
        MessageId: randomUUID(),
        TopicArn: topicArn,
        Message: JSON.stringify({ event_name: 'imtbl_zkevm_mint_request_updated', event_id: randomUUID(), chain: request.chain.id, data }),
        Timestamp: new Date().toISOString(),
        SignatureVersion: '2',
        SigningCertURL: `${url}/cert.pem`,
      };
      let toSign = '';
      for (const key of ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']) {
        if (message[key] !== undefined) toSign += `${key}\n${message[key]}\n`;
      }
      message.Signature = createSign('sha256').update(toSign).sign(privateKey, 'base64');
      tamper?.(message);
      return fetch(target, { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8' }, body: JSON.stringify(message) });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
