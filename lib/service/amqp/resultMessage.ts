import type { ResultFrame } from '../../protocol/task.js';

/** The protocol version byte that starts every Globus Compute messagepack message. */
const PROTOCOL_V1 = 0x01;

/**
 * A finished task as the Globus Compute `Result` message its SDK's `Executor` consumes from AMQP
 * (globus_compute_common.messagepack, protocol 1): a version byte, then
 * `{"message_type": "result", "data": {"task_id", "data", "error_details"}}`. `data` is the
 * serialized result, or for a failed or cancelled task the exception's text, with
 * `error_details` set: that is how the SDK tells them apart (`Result.is_error`).
 *
 * @param frame - the task's result frame, as the result socket sends it
 * @returns the message body to publish
 * @example
 * ```ts
 * resultMessage({ task_id, status: 'success', result: '11\n100', exception: null, completion_t: '1.000' });
 * ```
 */
export function resultMessage(frame: ResultFrame): Buffer {
  const failed = frame.status !== 'success';
  const data = {
    task_id: frame.task_id,
    data: (failed ? frame.exception : frame.result) ?? '',
    error_details: failed
      ? { code: frame.status === 'cancelled' ? 'TaskCancelled' : 'RemoteExecutionError', user_message: frame.status === 'cancelled' ? 'The task was cancelled' : 'An error occurred during the execution of this task' }
      : null,
  };
  return Buffer.concat([Buffer.from([PROTOCOL_V1]), Buffer.from(JSON.stringify({ message_type: 'result', data }))]);
}
