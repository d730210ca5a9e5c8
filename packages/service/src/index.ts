export { ConfigError, baseEnv, chainIdVar, databaseUrl, httpUrl, loadEnv, parseEnv, portVar, redisUrl } from './env.ts';
export { type HealthOptions, type HttpAppOptions, type ReadinessCheck, createHttpApp, registerHealth } from './health.ts';
export { type ServeOptions, serve } from './lifecycle.ts';
export { type Logger, createLogger } from './logger.ts';
export { type Dependency, chainDependency, postgresDependency, redisDependency } from './checks.ts';
