import {
  EMPTY,
  Subject,
  concat,
  concatMap,
  defer,
  from,
  map,
  merge,
  mergeMap,
  retry,
  share,
  switchMap,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { ServiceError } from '../errors/ServiceError.js';
import { ErrorCode } from '../protocol/errorCodes.js';
import type { BatchStatusResponse, ServerFrame, TaskRecord } from '../protocol/task.js';
import { makeWebSocketObservable } from '../transport/rxjsWebsockets.js';
import type { WebSocketMaker } from '../transport/WebSocketMaker.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { token$, type TokenProvider } from '../client/TokenProvider.js';

/** funcX's documented chunk for status queries. */
const SWEEP_CHUNK = 1024;

/** What a {@link ResultConnection} needs from its client. */
export interface ResultConnectionOptions {
  readonly url: string;
  /** Read again before every open, so a refreshed token is the one sent. */
  readonly token: TokenProvider;
  readonly makeWebSocket: WebSocketMaker;
  /** Reads task records over HTTP (`POST /v2/batch_status`), for the sweep after a reconnect. */
  readonly batchStatus: (taskIds: readonly string[]) => Promise<BatchStatusResponse>;
  /** The ids of tasks the service has accepted and the client still waits for. */
  readonly postedTaskIds: () => string[];
  readonly reconnect?: BackoffOptions | undefined;
  /** Milliseconds the socket stays open after its last subscriber leaves; 0 closes it at once. */
  readonly lingerMs?: number | undefined;
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * The client's one result WebSocket, as a shared Observable of parsed frames: it connects on
 * the first subscriber and closes after the last (`share({ resetOnRefCountZero: true })`). On
 * each open it subscribes every known task group; groups added later are subscribed on the open
 * socket. A socket that closes or fails is reopened with backoff for as long as anyone
 * subscribes (`retry` with `resetOnSuccess`), and after every *re*open the tasks the service had
 * accepted are swept over HTTP, so results sent into a dying socket are not lost.
 *
 * @example
 * ```ts
 * const connection = new ResultConnection({ url, token, makeWebSocket, batchStatus, postedTaskIds });
 * connection.addGroup(groupId);
 * connection.frames$.subscribe((frame) => registry.route(frame));
 * ```
 */
export class ResultConnection {
  /** Parsed frames from the socket, and records from sweeps; shared and ref-counted. */
  readonly frames$: Observable<ServerFrame | TaskRecord>;
  readonly #groups = new Set<string>();
  readonly #send$ = new Subject<string>();
  readonly #options: ResultConnectionOptions;
  #statuses = false;
  #opens = 0;

  /** @param options - where to connect and how to recover */
  constructor(options: ResultConnectionOptions) {
    this.#options = options;
    this.frames$ = defer(() => {
      let opensThisSession = 0;
      return token$(options.token).pipe(
        switchMap((token) =>
          makeWebSocketObservable<string>(options.url, {
            protocols: [],
            makeWebSocket: (url) => options.makeWebSocket(url, { token }),
          }),
        ),
        switchMap((getResponses) => {
          this.#opens++;
          const reopened = opensThisSession++ > 0;
          const input$ = concat(defer(() => from([...this.#groups])), this.#send$).pipe(map((group) => this.#frameFor(group)));
          return merge(getResponses(input$).pipe(mergeMap((data) => parseFrame(data))), reopened ? this.#sweep() : EMPTY);
        }),
        retry({
          resetOnSuccess: true,
          delay: (error: unknown, attempt: number) =>
            isAuthFailure(error)
              ? throwError(() => new ServiceError({ code: ErrorCode.USER_UNAUTHENTICATED, reason: `The result socket refused the token: ${(error as Error).message}` }, { cause: error }))
              : timer(backoffDelay(attempt, options.reconnect), options.scheduler),
        }),
      );
    }).pipe(
      share({
        // A short linger saves a handshake per task when tasks come one at a time; by default
        // the socket closes the moment nothing is outstanding.
        resetOnRefCountZero: (options.lingerMs ?? 0) > 0 ? () => timer(options.lingerMs!, options.scheduler) : true,
      }),
    );
  }

  /** How many times a socket has opened, over the client's life. */
  get opens(): number {
    return this.#opens;
  }

  /**
   * Subscribes a task group: now on the open socket, and on every socket opened later.
   *
   * @param groupId - a task-group UUID
   * @returns nothing
   */
  addGroup(groupId: string): void {
    if (this.#groups.has(groupId)) return;
    this.#groups.add(groupId);
    this.#send$.next(groupId);
  }

  /**
   * Asks the service to push status changes too (a funcx-rx extension): every group is
   * subscribed again with a JSON frame that says so. Plain funcX services never see this unless
   * somebody watches a task's statuses.
   *
   * @returns nothing
   */
  enableStatuses(): void {
    if (this.#statuses) return;
    this.#statuses = true;
    for (const group of this.#groups) this.#send$.next(group);
  }

  #frameFor(group: string): string {
    return this.#statuses ? JSON.stringify({ task_group_id: group, statuses: true }) : group;
  }

  /** Records of the accepted tasks still outstanding, read over HTTP in chunks of 1024. */
  #sweep(): Observable<TaskRecord> {
    return defer(() => {
      const ids = this.#options.postedTaskIds();
      const chunks: string[][] = [];
      for (let i = 0; i < ids.length; i += SWEEP_CHUNK) chunks.push(ids.slice(i, i + SWEEP_CHUNK));
      return from(chunks).pipe(
        concatMap((chunk) =>
          from(this.#options.batchStatus(chunk)).pipe(
            mergeMap((answer) =>
              // An accepted task the service no longer knows would otherwise wait forever.
              chunk.map((id): TaskRecord | ServerFrame => answer.results[id] ?? { task_id: id, status: 'Failed', reason: 'Unknown task id' }),
            ),
          ),
        ),
      );
    }) as Observable<TaskRecord>;
  }
}

function parseFrame(data: string | ArrayBuffer | Blob): ServerFrame[] {
  if (typeof data !== 'string') return [];
  try {
    const frame = JSON.parse(data) as ServerFrame;
    // A frame without a task id cannot be routed; it is dropped rather than failing the socket.
    return typeof frame === 'object' && frame !== null && typeof frame.task_id === 'string' ? [frame] : [];
  } catch {
    return [];
  }
}

function isAuthFailure(error: unknown): boolean {
  return error instanceof Error && /Unexpected server response: (400|401|403)\b/.test(error.message);
}
