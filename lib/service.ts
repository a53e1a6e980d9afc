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
export type { TaskEngine, EngineTask, EngineRunOptions, EngineHost } from './endpoint/engine/TaskEngine.js';
export { ClusterEngine, type ClusterEvent, type BlockInfo, type BlockState, type ClusterEngineContext } from './endpoint/engine/ClusterEngine.js';
export type { ClusterOptions, BlockOptions, LocalProviderConfig, SlurmProviderConfig } from './endpoint/engine/ClusterOptions.js';
export { BlocksUnavailable } from './endpoint/engine/BlocksUnavailable.js';
export { Interchange, type InterchangeOptions, type ManagerEvent } from './endpoint/interchange/Interchange.js';
export { WorkerManager, type WorkerManagerOptions } from './endpoint/interchange/WorkerManager.js';
export { WorkerManagerLost } from './endpoint/interchange/WorkerManagerLost.js';
export type { ExecutionProvider, BlockRequest, JobState, JobStatus } from './endpoint/providers/ExecutionProvider.js';
export { LocalProvider, type LocalProviderOptions } from './endpoint/providers/LocalProvider.js';
export { SlurmProvider, type SlurmProviderOptions } from './endpoint/providers/SlurmProvider.js';
export { ProviderError } from './endpoint/providers/ProviderError.js';
export type { RunCommand, CommandResult } from './endpoint/providers/runCommand.js';
export { HtexAutoScale, targetBlocks, type ScalingBlock, type ScalingDecision, type ScalingInput } from './endpoint/strategy/htexAutoScale.js';
export type { ScalingKnobs } from './endpoint/strategy/ScalingKnobs.js';
export { loadEndpointConfig, parseEndpointConfig, type EndpointConfig } from './endpoint/config/loadEndpointConfig.js';
export { EndpointConfigError } from './endpoint/config/EndpointConfigError.js';
