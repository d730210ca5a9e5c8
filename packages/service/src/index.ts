export { type ApiOptions, errorBodySchema, errorResponses, registerApi } from './api.ts';
export { chainDependency, type Dependency, postgresDependency, redisDependency } from './checks.ts';
export { baseEnv, ConfigError, chainIdVar, databaseUrl, httpUrl, loadEnv, parseEnv, portVar, redisUrl } from './env.ts';
export { createHttpApp, type HealthOptions, type HttpAppOptions, type ReadinessCheck, registerHealth } from './health.ts';
export { type ServeOptions, serve } from './lifecycle.ts';
export { createLogger, type Logger } from './logger.ts';
