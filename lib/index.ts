/**
 * funcx-rx: the browser-safe client. Node-only pieces (the service, endpoints, the local
 * launcher) live in `funcx-rx/service`.
 *
 * @packageDocumentation
 */
export { FuncXClient, type RunResult } from './client/FuncXClient.js';
export type { FuncXClientOptions } from './client/FuncXClientOptions.js';
export type { AnyFunction, ArgsOf, FunctionId, ResultOf } from './client/FunctionId.js';
export type { RunTarget } from './client/RunTarget.js';
export { python, isPythonFunction, type PythonFunction, type PythonSignature, type SignatureOf } from './client/PythonFunction.js';
export { Batch } from './client/Batch.js';
export type { BatchResultEntry } from './client/BatchResult.js';
export type { FetchLike } from './client/HttpApi.js';
export type { TokenProvider } from './transport/TokenProvider.js';
export { AsyncTask } from './reactive/AsyncTask.js';
export type { Yields, Returns } from './reactive/TaskValues.js';
export type { ClientTaskStatus } from './reactive/TaskState.js';
export type { BackoffOptions } from './reactive/backoff.js';
export { batchSubmissions, type BatchingOptions } from './reactive/batchSubmissions.js';
export { postBatches, type BatchOutcome } from './reactive/postBatches.js';
export type { WebSocketMaker } from './transport/WebSocketMaker.js';
export { FuncXError } from './errors/FuncXError.js';
export { ServiceError } from './errors/ServiceError.js';
export { ServiceUnreachable } from './errors/ServiceUnreachable.js';
export { TaskPending } from './errors/TaskPending.js';
export { TaskExecutionFailed } from './errors/TaskExecutionFailed.js';
export { TaskCancelled } from './errors/TaskCancelled.js';
export { DependencyFailed } from './errors/DependencyFailed.js';
export { TaskInputMissing } from './errors/TaskInputMissing.js';
export { PartialsMissing } from './errors/PartialsMissing.js';
export { taskRef, taskMarker, type TaskReference, type TaskMarker, type TaskArgument, type WithTaskReferences } from './reactive/taskRef.js';
export { TaskSubmissionFailed } from './errors/TaskSubmissionFailed.js';
export { SerializationError } from './errors/SerializationError.js';
export { ErrorCode, errorCodeName, httpStatusOf, type ErrorCodeValue } from './protocol/errorCodes.js';
export { TASK_STATUSES, isFinalStatus, type TaskStatus, type FinalTaskStatus, type TaskRecord } from './protocol/task.js';
export * from './serialize/serialize.js';
export { pack, unpack } from './serialize/pack.js';
export { Method, type MethodId } from './serialize/methods.js';
export { codeLanguage, type Language } from './serialize/codeLanguage.js';
export { FuncXExecutor } from './executor/FuncXExecutor.js';
export { FuncXFuture } from './executor/FuncXFuture.js';
export type { FuncXExecutorOptions, MapOptions, SubmitOptions } from './executor/FuncXExecutorOptions.js';
export { orderedMergeMap } from './reactive/orderedMergeMap.js';
export { ResultTimeout } from './errors/ResultTimeout.js';
