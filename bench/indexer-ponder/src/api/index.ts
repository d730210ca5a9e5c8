// Ponder requires an API file; the bench only waits for /ready.
import { Hono } from 'hono';

const app = new Hono();
export default app;
