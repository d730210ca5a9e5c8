import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateClient, SCHEMA_PATH } from '@harvest/prisma/migrate';

const GENERATED_CLIENT = fileURLToPath(new URL('../src/generated/prisma/client.ts', import.meta.url));

async function modifiedAt(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.mtimeMs ?? 0;
}

/** vitest global setup: (re)generates the Prisma client when it is missing or older than the schema. */
export default async function setup(): Promise<void> {
  if ((await modifiedAt(GENERATED_CLIENT)) < (await modifiedAt(SCHEMA_PATH))) await generateClient();
}
