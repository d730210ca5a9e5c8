/**
 * Verification of Immutable's webhooks, which arrive as Amazon SNS messages (Notification, SubscriptionConfirmation,
 * UnsubscribeConfirmation) signed with SNS's key. Follows AWS's documented procedure: the signing certificate must
 * come over HTTPS from an allowed host (SNS's `sns.<region>.amazonaws.com` by default), the string to sign is the
 * message's fields in their fixed order (`Key\nValue\n`), SignatureVersion 1 is SHA1withRSA and 2 SHA256withRSA.
 * Also checked: the TopicArn belongs to Immutable's account for the environment, and the message is at most an
 * hour old (replays of captured messages are refused).
 *
 * Written here rather than using `@imtbl/webhook`'s `handle`: that one fetches certificates only from AWS hosts
 * (so no local fake can be verified), throws from inside a callback on a foreign TopicArn (an uncaught exception
 * that would end the process) and fetches SubscribeURL by itself.
 */
import { verify } from 'node:crypto';

/** An SNS message as posted to the endpoint. */
export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

/** Immutable's SNS topic owners (the prefixes @imtbl/webhook checks). */
export const IMMUTABLE_TOPIC_PREFIXES = {
  production: 'arn:aws:sns:us-east-2:362750628221:',
  sandbox: 'arn:aws:sns:us-east-2:783421985614:',
} as const;

export interface SnsVerifierOptions {
  /** Hosts a SigningCertURL may name (regex). */
  certHost: RegExp;
  /** TopicArn prefix accepted. */
  topicPrefix: string;
  /** Oldest message accepted (ms); default one hour. */
  maxAgeMs?: number;
  /** Fetches a certificate (default: fetch, cached per URL). */
  fetchCert?: (url: string) => Promise<string>;
  now?: () => number;
}

/** Why a message was refused. */
export class SnsVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnsVerificationError';
  }
}

const NOTIFICATION_KEYS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const SUBSCRIPTION_KEYS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;
const REQUIRED = ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;

/** The exact bytes SNS signed. */
export function snsStringToSign(message: SnsMessage): string {
  const keys = message.Type === 'Notification' ? NOTIFICATION_KEYS : SUBSCRIPTION_KEYS;
  let out = '';
  for (const key of keys) {
    const value = message[key];
    if (value === undefined) continue;
    out += `${key}\n${value}\n`;
  }
  return out;
}

function isLoopback(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

export function createSnsVerifier(options: SnsVerifierOptions): (body: unknown) => Promise<SnsMessage> {
  const cache = new Map<string, Promise<string>>();
  const fetchCert =
    options.fetchCert ??
    (async (url: string) => {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'error' });
      if (!response.ok) throw new SnsVerificationError(`certificate fetch failed (${response.status})`);
      return response.text();
    });
  const now = options.now ?? Date.now;
  return async (body) => {
    if (!body || typeof body !== 'object') throw new SnsVerificationError('not an SNS message');
    const message = body as Record<string, unknown>;
    for (const key of REQUIRED) if (typeof message[key] !== 'string') throw new SnsVerificationError(`missing ${key}`);
    const sns = message as unknown as SnsMessage;
    if (!['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'].includes(sns.Type))
      throw new SnsVerificationError('unknown Type');
    const algorithm = sns.SignatureVersion === '1' ? 'sha1' : sns.SignatureVersion === '2' ? 'sha256' : null;
    if (!algorithm) throw new SnsVerificationError('unsupported SignatureVersion');
    let certUrl: URL;
    try {
      certUrl = new URL(sns.SigningCertURL);
    } catch {
      throw new SnsVerificationError('SigningCertURL is not a URL');
    }
    // HTTPS always, except a loopback host an operator allowed explicitly (tests against the local fake).
    if (certUrl.protocol !== 'https:' && !(certUrl.protocol === 'http:' && isLoopback(certUrl.hostname))) {
      throw new SnsVerificationError('SigningCertURL is not HTTPS');
    }
    if (!options.certHost.test(certUrl.hostname) || !certUrl.pathname.endsWith('.pem')) {
      throw new SnsVerificationError('SigningCertURL is not an allowed SNS certificate');
    }
    if (!sns.TopicArn.startsWith(options.topicPrefix)) throw new SnsVerificationError('TopicArn is not Immutable’s');
    const sent = Date.parse(sns.Timestamp);
    if (Number.isNaN(sent) || Math.abs(now() - sent) > (options.maxAgeMs ?? 60 * 60 * 1000))
      throw new SnsVerificationError('message too old');
    let cert = cache.get(certUrl.href);
    if (!cert) {
      cert = fetchCert(certUrl.href);
      cache.set(certUrl.href, cert);
      cert.catch(() => cache.delete(certUrl.href));
    }
    const pem = await cert;
    let ok = false;
    try {
      ok = verify(algorithm, Buffer.from(snsStringToSign(sns), 'utf8'), pem, Buffer.from(sns.Signature, 'base64'));
    } catch {
      ok = false;
    }
    if (!ok) throw new SnsVerificationError('bad signature');
    return sns;
  };
}
