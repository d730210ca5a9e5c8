// Regenerates docs/events.md from the event catalogue in packages/shared (a test fails when they differ).
import { writeFileSync } from 'node:fs';
import { renderEventCatalogue } from '@harvest/shared/events';

writeFileSync(new URL('../docs/events.md', import.meta.url), renderEventCatalogue());
