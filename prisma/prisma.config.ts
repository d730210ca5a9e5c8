import { defineConfig } from 'prisma/config';

// Paths are relative to this file. Run the CLI through scripts/prisma.ts (`npm run prisma -w @harvest/prisma -- ...`
// or `node prisma/scripts/prisma.ts ...`): it points Prisma at the offline schema engine in engine/.
export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  // Read with process.env rather than Prisma's env(), which throws when unset: `prisma generate` needs no database.
  datasource: { url: process.env.DATABASE_URL },
});
