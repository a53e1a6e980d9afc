/**
 * funcx-rx's Node-only entry point: the funcX-compatible service, endpoints and their worker
 * pools, and the launcher that starts both for local use.
 *
 * @packageDocumentation
 */
export { FuncXService } from './service/FuncXService.js';
export type { FuncXServiceOptions } from './service/FuncXServiceOptions.js';
export type { ServiceStatsSnapshot } from './service/ServiceStats.js';
export type { Stores, TaskStore, FunctionStore, GroupStore, EndpointStore } from './service/store/Stores.js';
export type { TaskEntry, FunctionEntry, GroupEntry, EndpointEntry } from './service/store/records.js';
export { MemoryStores } from './service/store/MemoryStores.js';
export { ApiError } from './service/ApiError.js';
export { Endpoint } from './endpoint/Endpoint.js';
export type { EndpointOptions } from './endpoint/EndpointOptions.js';
export { EndpointAuthError } from './endpoint/EndpointAuthError.js';
export { WorkerPool, type WorkerPoolOptions } from './endpoint/WorkerPool.js';
export type { WorkerTask, WorkerOutcome } from './endpoint/worker.js';
export { TaskTimeout } from './endpoint/TaskTimeout.js';
export { WorkerCrashed } from './endpoint/WorkerCrashed.js';
export { TaskRunner, type TaskRunnerOptions } from './endpoint/TaskRunner.js';
export { PythonPool, type PythonPoolOptions } from './endpoint/python/PythonPool.js';
export { findPython, type PythonRuntime, type PythonSearch } from './endpoint/python/findPython.js';
export { PythonUnavailable } from './endpoint/python/PythonUnavailable.js';
export { startLocalService, type LocalService, type LocalServiceOptions } from './local/startLocalService.js';
