// Regenerates docs/errors.md from ERROR_CODES and ERROR_DESCRIPTIONS in packages/shared (a test fails when they differ).
import { writeFileSync } from 'node:fs';
import { renderErrorCatalogue } from '@harvest/shared/errors';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorCatalogue());
