import {
  EMPTY,
  Subject,
  concat,
  defer,
  from,
  merge,
  mergeMap,
  race,
  retry,
  share,
  switchMap,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { decodeFrame } from '../protocol/frames.js';
import { ServiceError } from '../errors/ServiceError.js';
import { ErrorCode } from '../protocol/errorCodes.js';
import type { ServerFrame, TaskRecord } from '../protocol/task.js';
import { makeWebSocketObservable } from '../transport/rxjsWebsockets.js';
import type { WebSocketMaker } from '../transport/WebSocketMaker.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { token$, type TokenProvider } from '../transport/TokenProvider.js';

/** What a {@link ResultConnection} needs from its client. */
export interface ResultConnectionOptions {
  readonly url: string;
  /** Read again before every open, so a refreshed token is the one sent. */
  readonly token: TokenProvider;
  readonly makeWebSocket: WebSocketMaker;
  /**
   * Told after every *re*open, once the groups are subscribed again: results sent into the
   * socket that died must now be read back (the owner sweeps `POST /v2/batch_status`).
   */
  readonly onReopen: () => void;
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
 * subscribes (`retry` with `resetOnSuccess`), and every *re*open is reported to the owner, which
 * sweeps the accepted tasks over HTTP, so results sent into a dying socket are not lost. The sweep
 * lives outside the socket's stream: a socket that drops again does not cancel it.
 *
 * @example
 * ```ts
 * const connection = new ResultConnection({ url, token, makeWebSocket, onReopen: () => sweep() });
 * connection.addGroup(groupId);
 * connection.frames$.subscribe((frame) => registry.route(frame));
 * ```
 */
export class ResultConnection {
  /** Parsed frames from the socket, and records from sweeps; shared and ref-counted. */
  readonly frames$: Observable<ServerFrame | TaskRecord>;
  readonly #groups = new Set<string>();
  /** Frames for the open socket: group subscriptions, acks. Dropped while no socket is open (each open subscribes the groups again, and unread partials come again). */
  readonly #send$ = new Subject<string>();
  /** Ends a linger early: the owner closed, so nothing may keep the process alive. */
  readonly #endLinger$ = new Subject<void>();
  #statuses = false;
  #opens = 0;
  #reopens = 0;

  /** @param options - where to connect and how to recover */
  constructor(options: ResultConnectionOptions) {
    this.frames$ = defer(() => {
      let opensThisSession = 0;
      return token$(options.token).pipe(
        switchMap((token) =>
          makeWebSocketObservable<string>(funcxRxUrl(options.url), {
            protocols: [],
            makeWebSocket: (url) => options.makeWebSocket(url, { token }),
          }),
        ),
        switchMap((getResponses) => {
          this.#opens++;
          const reopened = opensThisSession++ > 0;
          if (reopened) this.#reopens++;
          const input$ = concat(defer(() => from([...this.#groups].map((group) => this.#frameFor(group)))), this.#send$);
          // merge subscribes in order: the groups are subscribed again before the owner sweeps.
          const reported$ = defer(() => {
            if (reopened) options.onReopen();
            return EMPTY;
          });
          return merge(getResponses(input$).pipe(mergeMap((data) => parseFrame(data))), reported$);
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
        resetOnRefCountZero: (options.lingerMs ?? 0) > 0 ? () => race(timer(options.lingerMs!, options.scheduler), this.#endLinger$) : true,
      }),
    );
  }

  /**
   * Closes a socket that lingers with no subscriber at once (a socket still in use is left to its
   * subscribers).
   *
   * @returns nothing
   */
  endLinger(): void {
    this.#endLinger$.next();
  }

  /** How many times a socket has opened, over the client's life. */
  get opens(): number {
    return this.#opens;
  }

  /**
   * How many times a socket has opened again after one dropped while tasks were outstanding.
   * Each reopen sweeps the tasks posted by then; a task whose post spans a reopen needs its own
   * sweep (the owner compares this count from before and after its post).
   */
  get reopens(): number {
    return this.#reopens;
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
    this.#send$.next(this.#frameFor(groupId));
  }

  /**
   * Sends a frame on the open socket (an ack of partials read); dropped when none is open.
   *
   * @param text - the frame
   * @returns nothing
   */
  send(text: string): void {
    this.#send$.next(text);
  }

  /**
   * Asks the service to push status changes too (a funcx-rx extension): every group is
   * subscribed again with a JSON frame that says so (its subscribe frames are JSON anyway, with
   * `partials: true`, §11: a funcX service would take only bare group ids).
   *
   * @returns nothing
   */
  enableStatuses(): void {
    if (this.#statuses) return;
    this.#statuses = true;
    for (const group of this.#groups) this.#send$.next(this.#frameFor(group));
  }

  /** A group's subscribe frame: always with its partials (a generator's yields, §11), with statuses when asked. */
  #frameFor(group: string): string {
    return JSON.stringify(this.#statuses ? { task_group_id: group, statuses: true, partials: true } : { task_group_id: group, partials: true });
  }
}

/** The result-socket URL of a funcx-rx client (`batch=1`, docs/protocol-extensions.md §3): it takes results before its submit answer. */
function funcxRxUrl(url: string): string {
  const marked = new URL(url);
  marked.searchParams.set('batch', '1');
  return marked.href;
}

const isRoutable = (frame: unknown): frame is ServerFrame => typeof frame === 'object' && frame !== null && typeof (frame as ServerFrame).task_id === 'string';

/** A frame's results and statuses: one, or an array of them in a batched frame. */
function parseFrame(data: string | ArrayBuffer | Blob): ServerFrame[] {
  if (typeof data !== 'string') return [];
  // A frame that is not JSON, or without a task id, cannot be routed: dropped rather than failing the socket.
  return (decodeFrame(data) ?? []).filter(isRoutable);
}

function isAuthFailure(error: unknown): boolean {
  return error instanceof Error && /Unexpected server response: (400|401|403)\b/.test(error.message);
}
