import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v4 as uuidv4 } from 'uuid';
import { ErrorCode } from '../../lib/protocol/errorCodes.js';
import type { SubmitTask } from '../../lib/protocol/submit.js';
import { deserializeError, packPayload } from '../../lib/serialize/serialize.js';
import { ApiError } from '../../lib/service/ApiError.js';
import type { Backend } from '../../lib/service/core/Backend.js';
import { resolveServiceOptions } from '../../lib/service/FuncXServiceOptions.js';
import { createLogger } from '../../lib/service/log.js';
import { TaskBroker } from '../../lib/service/TaskBroker.js';

/** A fresh backend for one test, and how to close it (and to look for what it keeps). */
export interface DependencyBackend {
  readonly backend: Backend;
  /** What the backend still keeps of dependencies once nothing waits (0 when every map was cleaned). */
  readonly leftovers: () => Promise<number>;
  readonly close: () => Promise<void>;
}

/**
 * The dependency rules of the broker, run on a backend (docs/protocol-extensions.md §12): the
 * use cases through TaskBroker, the endpoint's part played by hand (take, report).
 *
 * @param name - the backend's name
 * @param make - a fresh backend
 * @returns nothing (registers the tests)
 */
export function dependencyContract(name: string, make: () => Promise<DependencyBackend>): void {
  describe(`dependencies on the ${name} backend`, () => {
    const setUp = async () => {
      const made = await make();
      const limits = { ...resolveServiceOptions({}), maxInputsPerTask: 3 };
      const broker = new TaskBroker(made.backend, limits, createLogger('silent'));
      const userId = uuidv4();
      const endpointId = uuidv4();
      await broker.registerEndpoint(userId, { id: endpointId, name: 'ep', secretHash: 'x' });
      const functionId = await broker.registerFunction(userId, { name: 'f', entryPoint: 'f', code: 'c', source: '', description: '' });
      const task = (payload: unknown = 1): SubmitTask => [functionId, endpointId, packPayload([payload]), uuidv4()];
      const queue = made.backend.bus.queue(userId, endpointId, 'consumer');
      const status = async (id: string) => (await made.backend.tasks.get(userId, id))?.status;
      /** Takes what is queued, as the endpoint hub would; returns the claimed ids. */
      const take = async () => (await broker.takeForDispatch(queue, 100_000)).claimed.map((t) => t.id).sort();
      const succeed = (id: string, result = '11\n2') => broker.report(userId, endpointId, [], [{ type: 'result', task_id: id, result }]);
      const fail = (id: string) => broker.report(userId, endpointId, [], [{ type: 'result', task_id: id, exception: '11\n{"name":"Error","message":"boom"}' }]);
      return { ...made, broker, userId, endpointId, functionId, task, take, status, succeed, fail };
    };

    it('should accept a chain in one submit waiting, release each link as its input succeeds, and keep nothing after', async () => {
      const t = await setUp();
      try {
        const [a, b, c] = [t.task(), t.task(), t.task()];
        const { groupId, results } = await t.broker.submit(t.userId, undefined, [a, b], { [b[3]!]: [a[3]!] });
        assert.deepEqual(results.map((r) => r.status), ['Success', 'Success']);
        await t.broker.submit(t.userId, groupId, [c], { [c[3]!]: [b[3]!] });
        assert.deepEqual([await t.status(a[3]!), await t.status(b[3]!), await t.status(c[3]!)], ['waiting-for-ep', 'waiting-for-deps', 'waiting-for-deps']);
        assert.deepEqual(await t.take(), [a[3]!], 'only the input is queued');
        await t.succeed(a[3]!);
        assert.equal(await t.status(b[3]!), 'waiting-for-ep', 'released when its input succeeded');
        assert.deepEqual(await t.take(), [b[3]!]);
        assert.deepEqual((await t.broker.inputsOf([(await t.backend.tasks.get(t.userId, b[3]!))!])).get(b[3]!), { [a[3]!]: '11\n2' }, 'the input\'s result goes with it');
        await t.succeed(b[3]!);
        assert.deepEqual(await t.take(), [c[3]!]);
        await t.succeed(c[3]!);
        assert.equal(await t.leftovers(), 0, 'no dependency bookkeeping left');
      } finally {
        await t.close();
      }
    });

    it('should release at once a dependant whose inputs already succeeded, and fail one whose input already failed', async () => {
      const t = await setUp();
      try {
        const [ok, bad, x, y] = [t.task(), t.task(), t.task(), t.task()];
        await t.broker.submit(t.userId, undefined, [ok, bad]);
        await t.take();
        await t.succeed(ok[3]!);
        await t.fail(bad[3]!);
        await t.broker.submit(t.userId, undefined, [x, y], { [x[3]!]: [ok[3]!], [y[3]!]: [ok[3]!, bad[3]!] });
        assert.equal(await t.status(x[3]!), 'waiting-for-ep');
        assert.deepEqual(await t.take(), [x[3]!]);
        const failed = (await t.backend.tasks.get(t.userId, y[3]!))!;
        assert.equal(failed.status, 'failed');
        const error = deserializeError(failed.exception!);
        assert.equal(error.name, 'DependencyFailed');
        assert.match(error.message, new RegExp(`its input task ${bad[3]!} ended as failed`));
      } finally {
        await t.close();
      }
    });

    it('should fail dependants recursively when an input fails, and when it is cancelled', async () => {
      const t = await setUp();
      try {
        const [a, b, c, d, e] = [t.task(), t.task(), t.task(), t.task(), t.task()];
        await t.broker.submit(t.userId, undefined, [a, b, c, d, e], { [b[3]!]: [a[3]!], [c[3]!]: [b[3]!], [e[3]!]: [d[3]!] });
        await t.take();
        await t.fail(a[3]!);
        assert.deepEqual([await t.status(b[3]!), await t.status(c[3]!)], ['failed', 'failed']);
        assert.match(deserializeError((await t.backend.tasks.get(t.userId, c[3]!))!.exception!).message, new RegExp(`input task ${b[3]!} ended as failed`));
        await t.broker.cancelMany([(await t.backend.tasks.get(t.userId, d[3]!))!]);
        assert.equal(await t.status(e[3]!), 'failed');
        assert.match(deserializeError((await t.backend.tasks.get(t.userId, e[3]!))!.exception!).message, /was cancelled/);
        assert.equal(await t.leftovers(), 0);
      } finally {
        await t.close();
      }
    });

    it('should refuse per task: another user\'s input (as unknown as any id it cannot see), an unknown one, a later one, too many; and a request naming no task of it', async () => {
      const t = await setUp();
      try {
        const other = uuidv4();
        const otherEndpoint = uuidv4();
        await t.broker.registerEndpoint(other, { id: otherEndpoint, name: 'ep', secretHash: 'x' });
        const otherFn = await t.broker.registerFunction(other, { name: 'f', entryPoint: 'f', code: 'c', source: '', description: '' });
        const theirs: SubmitTask = [otherFn, otherEndpoint, packPayload([1]), uuidv4()];
        await t.broker.submit(other, undefined, [theirs]);
        const [x, y, z, w, later, dependantOfRefused] = [t.task(), t.task(), t.task(), t.task(), t.task(), t.task()];
        const many = [uuidv4(), uuidv4(), uuidv4(), uuidv4()];
        const { results } = await t.broker.submit(t.userId, undefined, [x, y, z, w, later, dependantOfRefused], {
          [x[3]!]: [theirs[3]!], [y[3]!]: [uuidv4()], [z[3]!]: [later[3]!], [w[3]!]: many, [dependantOfRefused[3]!]: [x[3]!],
        });
        const codes = results.map((r) => ('code' in r ? r.code : r.status));
        assert.deepEqual(codes, [ErrorCode.DEPENDENCY_NOT_FOUND, ErrorCode.DEPENDENCY_NOT_FOUND, ErrorCode.DEPENDENCY_NOT_FOUND, ErrorCode.DEPENDENCY_INVALID, 'Success', ErrorCode.DEPENDENCY_NOT_FOUND]);
        await assert.rejects(t.broker.submit(t.userId, undefined, [t.task()], { [uuidv4()]: [x[3]!] }), (e: unknown) => e instanceof ApiError && e.code === ErrorCode.DEPENDENCY_INVALID);
      } finally {
        await t.close();
      }
    });

    it('should never miss an input that ends while its dependant is being submitted', async () => {
      const t = await setUp();
      try {
        const inputs = Array.from({ length: 50 }, () => t.task());
        await t.broker.submit(t.userId, undefined, inputs);
        await t.take();
        const dependants = inputs.map(() => t.task());
        await Promise.all(inputs.map(async (input, i) => {
          const dependant = dependants[i]!;
          await Promise.all([t.succeed(input[3]!), t.broker.submit(t.userId, undefined, [dependant], { [dependant[3]!]: [input[3]!] })]);
        }));
        const statuses = await Promise.all(dependants.map((d) => t.status(d[3]!)));
        assert.deepEqual(statuses, dependants.map(() => 'waiting-for-ep'), 'each released, whichever came first');
        assert.equal((await t.take()).length, 50);
      } finally {
        await t.close();
      }
    });

    it('should send a dependant without an input whose result expired meanwhile (its worker then fails it, naming the input)', async () => {
      const t = await setUp();
      try {
        const [a, b, c] = [t.task(), t.task(), t.task()];
        await t.broker.submit(t.userId, undefined, [a, b, c], { [c[3]!]: [a[3]!, b[3]!] });
        await t.take();
        await t.succeed(a[3]!, '11\n1');
        await t.backend.tasks.deleteMany(t.userId, [a[3]!]); // as the sweep does after retentionMs
        await t.succeed(b[3]!, '11\n2');
        assert.deepEqual(await t.take(), [c[3]!], 'released: its inputs all succeeded');
        assert.deepEqual((await t.broker.inputsOf([(await t.backend.tasks.get(t.userId, c[3]!))!])).get(c[3]!), { [b[3]!]: '11\n2' });
      } finally {
        await t.close();
      }
    });

    it('should heal: the sweep fails a dependant whose input failed while the replica that would fail it died', async () => {
      const t = await setUp();
      try {
        const [a, b] = [t.task(), t.task()];
        await t.broker.submit(t.userId, undefined, [a, b], { [b[3]!]: [a[3]!] });
        await t.take();
        // The write alone, as a replica that dies right after it leaves it: nobody ends the dependant.
        const outcome = await t.backend.report(t.userId, t.endpointId, [], [{ id: a[3]!, end: { status: 'failed', result: null, exception: '11\n{}', completedAt: Date.now() } }], 60_000);
        assert.deepEqual(outcome.doomed.map((d) => [d.task.id, d.inputId]), [[b[3]!, a[3]!]]);
        assert.equal(await t.status(b[3]!), 'waiting-for-deps', 'stranded, for now');
        const report = await t.broker.sweep(Date.now() + 1);
        assert.equal(report.dependantsFailed, 1);
        assert.equal(await t.status(b[3]!), 'failed');
        assert.equal(deserializeError((await t.backend.tasks.get(t.userId, b[3]!))!.exception!).name, 'DependencyFailed');
      } finally {
        await t.close();
      }
    });
  });
}
