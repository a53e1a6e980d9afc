/**
 * funcx-rx's Node-only entry point: the funcX-compatible service, endpoints and their worker
 * pools, and the launcher that starts both for local use.
 *
 * @packageDocumentation
 */
export { FuncXService } from './service/FuncXService.js';
export type { FuncXServiceOptions } from './service/FuncXServiceOptions.js';
export type { ServiceStatsSnapshot } from './service/ServiceStats.js';
export type { Backend } from './service/core/Backend.js';
export type { TaskRepo, GroupRepo, FunctionRepo, EndpointRepo, IdentityRepo, Repositories } from './service/core/repositories.js';
export type { TaskBus, EndpointQueue, GroupEvent, ControlEvent, Presence } from './service/core/TaskBus.js';
export type { Counters, Counter } from './service/core/Counters.js';
export type { TaskEntry, TaskEnd, FunctionEntry, GroupEntry, EndpointEntry, TokenHolder } from './service/core/records.js';
export { MemoryBackend } from './service/backends/memory/MemoryBackend.js';
export { RedisBackend } from './service/backends/redis/RedisBackend.js';
export type { SweepReport } from './service/TaskBroker.js';
export { ApiError } from './service/ApiError.js';
export { AmqpResults, type AmqpConnectionInfo } from './service/amqp/AmqpResults.js';
export type { AmqpResultsOptions } from './service/amqp/AmqpResultsOptions.js';
export { AmqpUnavailable } from './service/amqp/AmqpUnavailable.js';
export { Endpoint } from './endpoint/Endpoint.js';
export type { EndpointOptions } from './endpoint/EndpointOptions.js';
export { EndpointAuthError } from './endpoint/EndpointAuthError.js';
export { WorkerPool, type WorkerPoolOptions } from './endpoint/WorkerPool.js';
export type { WorkerTask, WorkerOutcome } from './endpoint/worker.js';
export { TaskTimeout } from './endpoint/TaskTimeout.js';
export { WorkerCrashed } from './endpoint/WorkerCrashed.js';
export { ResultTooLarge } from './endpoint/ResultTooLarge.js';
export { FunctionCache, type FunctionCacheOptions } from './endpoint/FunctionCache.js';
export { LocalEndpoint, type LocalEndpointOptions } from './local/LocalEndpoint.js';
export { TaskRunner, type TaskRunnerOptions } from './endpoint/TaskRunner.js';
export { PythonPool, type PythonPoolOptions } from './endpoint/python/PythonPool.js';
export { findPython, type PythonRuntime, type PythonSearch } from './endpoint/python/findPython.js';
export { PythonUnavailable } from './endpoint/python/PythonUnavailable.js';
export { startLocalService, type LocalService, type LocalServiceOptions } from './local/startLocalService.js';
