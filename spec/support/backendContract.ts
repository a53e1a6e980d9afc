import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { firstValueFrom, take, toArray } from 'rxjs';
import { v4 as uuidv4 } from 'uuid';
import { until } from './until.js';
import type { Backend } from '../../lib/service/core/Backend.js';
import type { TaskCompletion, TaskEntry, TaskMove } from '../../lib/service/core/records.js';

/** Makes two backends over the same storage (two connections to one Redis; the same object in memory). */
export type BackendPair = () => Promise<{ a: Backend; b: Backend; close(): Promise<void> }>;

const RETENTION_MS = 60_000;
/** The user every task here belongs to unless a test says otherwise (newTask's default owner). */
const ALICE = 'alice';

function newTask(overrides: Partial<TaskEntry> = {}): TaskEntry {
  return {
    id: uuidv4(), ownerId: ALICE, groupId: uuidv4(), functionId: uuidv4(), endpointId: uuidv4(), payload: '11\n[[1],{}]', payloadDigest: 'digest-of-the-payload',
    status: 'waiting-for-ep', result: null, exception: null, queuedAt: 1000, completedAt: null, ...overrides,
  };
}

/**
 * Submits tasks through the backend's one submit write (each run of tasks of one group and
 * endpoint in one call, their groups claimed first), and answers per task in order.
 */
async function insert(backend: Backend, tasks: readonly TaskEntry[]): Promise<(TaskEntry | null)[]> {
  const runs: TaskEntry[][] = [];
  for (const task of tasks) {
    const last = runs.at(-1);
    if (last && last[0]!.groupId === task.groupId && last[0]!.endpointId === task.endpointId) last.push(task);
    else runs.push([task]);
  }
  const out: (TaskEntry | null)[] = [];
  for (const run of runs) {
    await backend.groups.claim(run[0]!.groupId, run[0]!.ownerId, 1);
    out.push(...(await backend.submit(run[0]!.groupId, run[0]!.endpointId, run)).existing);
  }
  return out;
}

const one = async <T>(answers: Promise<T[]>): Promise<T> => (await answers)[0]!;

/** A report with moves only (as an endpoint's statuses). */
const advance = async (backend: Backend, endpointId: string, moves: readonly TaskMove[], ownerId = ALICE): Promise<(TaskEntry | null)[]> =>
  (await backend.report(ownerId, endpointId, moves, [], RETENTION_MS)).moved;

/** A report with ends only (as a cancel, an expiry, or results). */
const complete = async (backend: Backend, ends: readonly TaskCompletion[], retentionMs = RETENTION_MS, ownerId = ALICE): Promise<(TaskEntry | null)[]> =>
  (await backend.report(ownerId, '', [], ends, retentionMs)).ended;

/**
 * The contract every backend keeps: values in and out, and atomic deciding operations, tested by
 * racing two callers (two connections where the backend has them), not by reading the code.
 *
 * @param name - the backend's name, for the suite title
 * @param pair - makes two handles on one storage
 */
export function backendContract(name: string, pair: BackendPair): void {
  describe(`backend contract - ${name}`, () => {
    let a: Backend;
    let b: Backend;
    let close: () => Promise<void>;
    before(async () => ({ a, b, close } = await pair()));
    after(() => close());

    it('tasks - submit: of two racing inserts exactly one wins; the loser gets the winner', async () => {
      const task = newTask();
      const [x, y] = await Promise.all([one(insert(a, [task])), one(insert(b, [{ ...task, payload: 'other' }]))]);
      assert.equal([x, y].filter((r) => r === null).length, 1);
      const stored = (await a.tasks.get(ALICE, task.id))!;
      assert.equal((x ?? y)!.payload, stored.payload);
      assert.deepEqual(await b.tasks.get(ALICE, task.id), stored);
    });

    it('tasks - values out: changing a returned task changes nothing stored', async () => {
      const task = newTask();
      await insert(a, [task]);
      const got = (await a.tasks.get(ALICE, task.id))! as { status: string };
      try {
        got.status = 'success';
      } catch {
        // frozen: fine too
      }
      assert.equal((await a.tasks.get(ALICE, task.id))!.status, 'waiting-for-ep');
    });

    it('tasks - another user\'s task is no task to the caller: not found, moved, ended, deleted or referenced', async () => {
      const task = newTask();
      await insert(a, [task]);
      const BOB = 'bob';
      assert.equal(await b.tasks.get(BOB, task.id), undefined);
      assert.equal((await b.tasks.getMany(BOB, [task.id])).size, 0);
      assert.deepEqual(await advance(b, task.endpointId, [{ id: task.id, to: 'running' }], BOB), [null]);
      assert.deepEqual(await complete(b, [{ id: task.id, end: { status: 'cancelled', result: null, exception: '12\nx', completedAt: 5 } }], RETENTION_MS, BOB), [null]);
      assert.deepEqual(await b.tasks.deleteMany(BOB, [task.id]), [null]);
      assert.equal(await b.tasks.isReferenced(BOB, task.functionId), false);
      assert.ok(!(await b.tasks.waitingSince(BOB, 10_000, 10_000)).includes(task.id));
      assert.equal((await a.tasks.get(ALICE, task.id))!.status, 'waiting-for-ep', 'the owner\'s task is as it was');
      assert.ok(await a.tasks.isReferenced(ALICE, task.functionId));
    });

    it('tasks - advance only moves forward, only for its endpoint, never out of an end', async () => {
      const task = newTask();
      await insert(a, [task]);
      assert.equal(await one(advance(a, uuidv4(), [{ id: task.id, to: 'running' }])), null, 'another endpoint');
      const moves = await Promise.all([one(advance(a, task.endpointId, [{ id: task.id, to: 'running' }])), one(advance(b, task.endpointId, [{ id: task.id, to: 'running' }]))]);
      assert.equal(moves.filter((m) => m !== null).length, 1, 'one of two racing moves');
      assert.equal(await one(advance(a, task.endpointId, [{ id: task.id, to: 'waiting-for-nodes' }])), null, 'never back');
      assert.equal((await a.tasks.get(ALICE, task.id))!.status, 'running');
      assert.equal(await one(advance(a, task.endpointId, [{ id: task.id, to: 'success' }])), null, 'an end is not an advance');
    });

    it('tasks - complete: the first end wins, drops the payload for its digest, and counts once', async () => {
      const task = newTask();
      await insert(a, [task]);
      assert.ok(await a.tasks.isReferenced(ALICE, task.functionId));
      const ends = await Promise.all([
        one(complete(a, [{ id: task.id, end: { status: 'success', result: '11\n1', exception: null, completedAt: 2000 } }], RETENTION_MS)),
        one(complete(b, [{ id: task.id, end: { status: 'failed', result: null, exception: '12\nx', completedAt: 2001 } }], RETENTION_MS)),
      ]);
      assert.equal(ends.filter((e) => e !== null).length, 1);
      const stored = (await b.tasks.get(ALICE, task.id))!;
      assert.ok(stored.status === 'success' || stored.status === 'failed');
      assert.equal(stored.payload, null);
      assert.equal(stored.payloadDigest, task.payloadDigest, 'the digest stays');
      assert.equal(await a.tasks.isReferenced(ALICE, task.functionId), false, 'an ended task needs its function no more');
      assert.deepEqual(await a.tasks.endedBefore(ALICE, 2002, 10_000).then((ids) => ids.includes(task.id)), true);
      const deleted = await Promise.all([one(a.tasks.deleteMany(ALICE, [task.id])), one(b.tasks.deleteMany(ALICE, [task.id]))]);
      assert.equal(deleted.filter((d) => d !== null).length, 1, 'deleted once');
      assert.deepEqual(await a.tasks.deleteMany(ALICE, [uuidv4()]), [null]);
      assert.equal(await a.tasks.get(ALICE, task.id), undefined);
    });

    it('tasks - release puts a live task back to waiting and on its queue, in one step; the wait index follows', async () => {
      const task = newTask({ queuedAt: 10 });
      await insert(a, [task]);
      assert.ok((await a.tasks.waitingSince(ALICE, 11, 10_000)).includes(task.id));
      const q = a.bus.queue(ALICE, task.endpointId, 'replica-a/requeue');
      const [taken] = await q.takeAndClaim(10);
      assert.equal(taken!.taskId, task.id);
      await advance(a, task.endpointId, [{ id: task.id, to: 'running' }]);
      assert.ok(!(await a.tasks.waitingSince(ALICE, 11, 10_000)).includes(task.id), 'not waiting while running');
      const released = await q.release();
      assert.deepEqual(released.map((t) => [t.id, t.status]), [[task.id, 'running']], 'the task as it was before');
      const requeued = (await a.tasks.get(ALICE, task.id))!;
      assert.equal(requeued.status, 'waiting-for-ep');
      assert.ok(requeued.queuedAt > 10);
      assert.ok((await a.tasks.waitingSince(ALICE, requeued.queuedAt + 1, 10_000)).includes(task.id));
      const again = await b.bus.queue(ALICE, task.endpointId, 'replica-b/requeue').takeAndClaim(10);
      assert.deepEqual(again.map((t) => [t.taskId, t.before?.status]), [[task.id, 'waiting-for-ep']], 'queued again: the next consumer takes it');
      await complete(a, [{ id: task.id, end: { status: 'success', result: '11\n1', exception: null, completedAt: 5 } }], RETENTION_MS);
      assert.deepEqual(await b.bus.queue(ALICE, task.endpointId, 'replica-b/requeue').release(), [], 'an ended task is not requeued');
      await a.tasks.deleteMany(ALICE, [task.id]);
    });

    it('tasks - submit decides each task on its own, in order; racing batches insert each task once', async () => {
      const old = newTask();
      await insert(a, [old]);
      const fresh = [newTask(), newTask(), newTask()];
      const groupId = uuidv4();
      const endpointId = uuidv4();
      const mark = (t: TaskEntry): TaskEntry => ({ ...t, groupId, endpointId });
      fresh.splice(0, 3, ...fresh.map(mark));
      const answers = await insert(a, [fresh[0]!, { ...mark(old), payload: 'other' }, fresh[1]!, { ...fresh[0]!, payload: 'again' }, fresh[2]!]);
      assert.deepEqual(answers.map((t) => t?.id ?? null), [null, old.id, null, fresh[0]!.id, null], 'a later task in the batch sees an earlier one');
      assert.deepEqual(answers[1], await a.tasks.get(ALICE, old.id), 'the existing task, as stored');
      assert.equal(answers[3]!.payload, fresh[0]!.payload);
      const found = await b.tasks.getMany(ALICE, [...fresh.map((t) => t.id), uuidv4()]);
      assert.deepEqual([...found.keys()].sort(), fresh.map((t) => t.id).sort(), 'getMany finds what exists, only that');
      assert.deepEqual(found.get(fresh[1]!.id), { ...fresh[1]!, payload: fresh[1]!.payload });
      const racing = Array.from({ length: 30 }, () => newTask({ groupId, endpointId }));
      const [x, y] = await Promise.all([insert(a, racing), insert(b, [...racing].reverse().map((t) => ({ ...t, payload: 'b' })))]);
      const yInOrder = [...y].reverse();
      racing.forEach((_, i) => assert.equal([x[i], yInOrder[i]].filter((r) => r === null).length, 1, `task ${i} inserted once`));
      assert.ok(await a.tasks.isReferenced(ALICE, racing[0]!.functionId));
      assert.deepEqual(await a.submit(groupId, endpointId, []), { existing: [], released: [], doomed: [] });
      const grouped = await b.groups.taskIds(ALICE, groupId);
      assert.deepEqual(grouped.slice(0, 3), fresh.map((t) => t.id), 'the group holds the accepted tasks in submit order');
      assert.deepEqual(new Set(grouped.slice(3)), new Set(racing.map((t) => t.id)));
      assert.equal(await b.groups.size(ALICE, groupId), 33, 'each accepted task joined once');
    });

    it('tasks - advanceMany and completeMany decide each item as advance and complete; racing batches move and end each task once', async () => {
      const endpointId = uuidv4();
      const tasks = Array.from({ length: 20 }, () => newTask({ endpointId }));
      await insert(a, tasks.map((t) => ({ ...t, groupId: tasks[0]!.groupId })));
      const ids = tasks.map((t) => t.id);
      assert.deepEqual(await advance(a, uuidv4(), ids.map((id) => ({ id, to: 'running' }))), ids.map(() => null), 'another endpoint moves nothing');
      const [x, y] = await Promise.all([advance(a, endpointId, ids.map((id) => ({ id, to: 'waiting-for-nodes' }))), advance(b, endpointId, ids.map((id) => ({ id, to: 'waiting-for-nodes' })))]);
      ids.forEach((_, i) => assert.equal([x[i], y[i]].filter((m) => m !== null).length, 1, `task ${i} claimed once`));
      assert.equal((x[0] ?? y[0])!.status, 'waiting-for-ep', 'the task as it was before');
      assert.deepEqual((x[0] ?? y[0])!.payload, tasks[0]!.payload);
      const moved = await advance(a, endpointId, [{ id: ids[0]!, to: 'running' }, { id: ids[0]!, to: 'waiting-for-launch' }, { id: uuidv4(), to: 'running' }, { id: ids[1]!, to: 'running' }]);
      assert.deepEqual(moved.map((m) => m?.status ?? null), ['waiting-for-nodes', null, null, 'waiting-for-nodes'], 'never back, unknown ids skipped, each in order');
      const ends = await Promise.all([
        complete(a, ids.map((id) => ({ id, endpointId, end: { status: 'success', result: '11\n1', exception: null, completedAt: 2000 } })), RETENTION_MS),
        complete(b, ids.map((id) => ({ id, end: { status: 'failed', result: null, exception: '12\nx', completedAt: 2001 } })), RETENTION_MS),
      ]);
      const stored = await a.tasks.getMany(ALICE, ids);
      ids.forEach((id, i) => {
        const [byA, byB] = [ends[0][i], ends[1][i]];
        assert.equal([byA, byB].filter((e) => e !== null).length, 1, `task ${i} ended once`);
        assert.equal(stored.get(id)!.status, byA !== null ? 'success' : 'failed', 'the first end is the one kept');
        assert.equal(stored.get(id)!.payload, null);
      });
      assert.equal((ends[0][0] ?? ends[1][0])!.status, 'running', 'the task as it was before its end');
      assert.equal(await a.tasks.isReferenced(ALICE, endpointId), false);
      const again = newTask();
      await insert(a, [again]);
      const twice = await complete(b, [
        { id: again.id, endpointId: uuidv4(), end: { status: 'success', result: '11\n1', exception: null, completedAt: 3000 } },
        { id: again.id, end: { status: 'success', result: '11\n2', exception: null, completedAt: 3000 } },
        { id: again.id, end: { status: 'failed', result: null, exception: '12\ny', completedAt: 3001 } },
      ], RETENTION_MS);
      assert.deepEqual(twice.map((e) => e?.status ?? null), [null, 'waiting-for-ep', null], 'another endpoint does not end it; the first end in a batch wins');
      assert.equal((await a.tasks.get(ALICE, again.id))!.result, '11\n2');
      assert.ok((await a.tasks.endedBefore(ALICE, 3001, 10_000)).includes(again.id));
      assert.ok(!(await a.tasks.waitingSince(ALICE, 10_000, 10_000)).includes(again.id), 'no longer waiting');
    });

    it('tasks - any text survives the batch operations unchanged', async () => {
      const odd = '11\n["é€😀 \\"quoted\\" \\\\ back\\/slash", "\\u0000", "tab\\t", "line\\nbreak", "{}[]"]' + '\t\u0000\u2028\r"';
      const task = newTask({ payload: odd });
      assert.deepEqual(await insert(a, [task, { ...task, payload: 'x' }]), [null, { ...task }]);
      assert.equal((await advance(b, task.endpointId, [{ id: task.id, to: 'running' }]))[0]!.payload, odd);
      const [before] = await complete(a, [{ id: task.id, end: { status: 'success', result: '', exception: null, completedAt: 5 } }], RETENTION_MS);
      assert.equal(before!.payload, odd);
      const stored = (await b.tasks.getMany(ALICE, [task.id])).get(task.id)!;
      assert.equal(stored.result, '', 'an empty result is kept, not taken for none');
      assert.equal(stored.exception, null);
      assert.equal(stored.payload, null);
    });

    it('groups - claim: racing claims make one group with one owner', async () => {
      const id = uuidv4();
      const [x, y] = await Promise.all([a.groups.claim(id, 'alice', 1), b.groups.claim(id, 'bob', 2)]);
      assert.equal(x.ownerId, y.ownerId, 'both see the same owner');
      const again = await a.groups.claim(id, x.ownerId === 'alice' ? 'bob' : 'alice', 3);
      assert.equal(again.ownerId, x.ownerId, 'the owner never changes');
    });

    it('groups - tasks keep submit order; undelivered drains once across racing drainers', async () => {
      const id = uuidv4();
      await a.groups.claim(id, 'alice', 1);
      const tasks = Array.from({ length: 50 }, () => newTask({ groupId: id }));
      const ids = tasks.map((t) => t.id);
      await a.submit(id, tasks[0]!.endpointId, tasks.slice(0, 25));
      await b.submit(id, tasks[25]!.endpointId, tasks.slice(25));
      await a.submit(id, tasks[0]!.endpointId, tasks.slice(0, 5)); // again: no duplicates, order kept
      assert.deepEqual(await b.groups.taskIds(ALICE, id), ids);
      assert.equal(await a.groups.size(ALICE, id), 50);
      // Each end marks its task undelivered, in the same write.
      await Promise.all(ids.map((t, i) => complete(i % 2 ? a : b, [{ id: t, end: { status: 'success', result: '11\n1', exception: null, completedAt: 5 } }])));
      const [x, y] = await Promise.all([a.groups.drainUndelivered(ALICE, id), b.groups.drainUndelivered(ALICE, id)]);
      assert.equal(x.length + y.length, 50);
      assert.equal(new Set([...x, ...y]).size, 50, 'no id twice');
      assert.deepEqual(await a.groups.drainUndelivered(ALICE, id), []);
      await a.groups.removeTasks(ALICE, id, [ids[0]!]);
      assert.equal(await a.groups.size(ALICE, id), 49);
      assert.ok((await a.groups.idleBefore(ALICE, 2, 10_000)).includes(id));
      assert.equal(await a.groups.delete(ALICE, id, 10_000), false, 'a group that holds tasks stays');
      await a.groups.removeTasks(ALICE, id, ids.slice(1));
      assert.equal(await a.groups.delete(ALICE, id, 1), false, 'a group used since stays');
      assert.deepEqual(await Promise.all([a.groups.delete(ALICE, id, 10_000), b.groups.delete(ALICE, id, 10_000)]).then((d) => d.filter(Boolean).length), 1, 'deleted once');
      assert.equal(await b.groups.get(id), undefined);
      assert.ok(!(await a.groups.idleBefore(ALICE, 10_000, 10_000)).includes(id), 'and out of the idle index');
    });

    it('groups - undelivered: marked by the report that ends a task, in its own group; concurrent removals all land', async () => {
      const [g1, g2] = [uuidv4(), uuidv4()];
      await a.groups.claim(g1, 'alice', 1);
      await a.groups.claim(g2, 'alice', 1);
      const inG1 = Array.from({ length: 10 }, () => newTask({ groupId: g1 }));
      const inG2 = Array.from({ length: 4 }, () => newTask({ groupId: g2 }));
      await insert(a, [...inG1.map((t) => ({ ...t, endpointId: inG1[0]!.endpointId })), ...inG2.map((t) => ({ ...t, endpointId: inG2[0]!.endpointId }))]);
      const ids = inG1.map((t) => t.id);
      const ids2 = inG2.map((t) => t.id);
      const done = (t: string): TaskCompletion => ({ id: t, end: { status: 'success', result: '11\n1', exception: null, completedAt: 5 } });
      // Ended in one report across two groups: each marked undelivered in its own.
      await complete(b, [...ids.map(done), ...ids2.map(done)]);
      await Promise.all([...ids.slice(0, 6).map((id) => a.groups.removeUndelivered(ALICE, g1, [id])), a.groups.removeUndelivered(ALICE, g2, ids2.slice(0, 2)), a.groups.removeUndelivered(ALICE, g1, [])]);
      assert.deepEqual((await b.groups.drainUndelivered(ALICE, g1)).sort(), ids.slice(6).sort());
      assert.deepEqual((await b.groups.drainUndelivered(ALICE, g2)).sort(), ids2.slice(2, 4).sort());
    });

    it('registrations - insert, touch, idle, delete once', async () => {
      const fn = { id: uuidv4(), ownerId: 'alice', name: 'f', entryPoint: 'f', code: '10\nx', source: '', description: '', lastUsedAt: 5 };
      await a.functions.insert(fn);
      assert.deepEqual(await b.functions.get(fn.id), fn);
      assert.ok((await a.functions.idleBefore(6, 10_000)).includes(fn.id));
      await b.functions.touch(fn.id, 10);
      assert.ok(!(await a.functions.idleBefore(6, 10_000)).includes(fn.id));
      await a.functions.touch(uuidv4(), 10); // an unknown id is not created
      const [x, y] = await Promise.all([a.functions.delete(fn.id), b.functions.delete(fn.id)]);
      assert.equal([x, y].filter((d) => d !== null).length, 1);
      const endpoint = { id: uuidv4(), ownerId: 'alice', name: 'e', secretHash: 'ab'.repeat(32), lastSeenAt: 7 };
      await a.endpoints.insert(endpoint);
      assert.deepEqual(await b.endpoints.get(endpoint.id), endpoint);
    });

    it('identity - token hashes are shared and revoked once', async () => {
      const hash = uuidv4();
      await a.identity.insert(hash, { userId: 'u1', operator: true });
      assert.deepEqual(await b.identity.holder(hash), { userId: 'u1', operator: true });
      const [x, y] = await Promise.all([a.identity.revoke(hash), b.identity.revoke(hash)]);
      assert.equal([x, y].filter(Boolean).length, 1);
      assert.equal(await a.identity.holder(hash), undefined);
    });

    it('bus - two consumers never take the same task; release and reclaim give back what was held', async () => {
      const endpointId = uuidv4();
      const tasks = Array.from({ length: 40 }, () => newTask({ endpointId }));
      const qa = a.bus.queue(ALICE, endpointId, 'replica-a/1');
      const qb = b.bus.queue(ALICE, endpointId, 'replica-b/1');
      await insert(a, tasks.slice(0, 20).map((t) => ({ ...t, groupId: tasks[0]!.groupId })));
      await insert(b, tasks.slice(20).map((t) => ({ ...t, groupId: tasks[20]!.groupId })));
      const taken = (await Promise.all([qa.takeAndClaim(25), qb.takeAndClaim(25), qa.takeAndClaim(25), qb.takeAndClaim(25)])).flat();
      assert.equal(taken.length, 40);
      assert.equal(new Set(taken.map((t) => t.taskId)).size, 40, 'no task taken twice');
      assert.equal((await qa.take(1)).length, 0, 'nothing left');
      const released = (await qa.release()).map((t) => t.id);
      // replica-b "died": its heartbeat is gone, so another replica reclaims what it held.
      const reclaimed = (await a.bus.reclaim(ALICE, endpointId, (consumer) => consumer !== 'replica-b/1')).map((t) => t.id);
      assert.equal(released.length + reclaimed.length, 40, 'everything comes back once');
      assert.equal(new Set([...released, ...reclaimed]).size, 40);
      const retaken = (await Promise.all([qa.takeAndClaim(50), b.bus.queue(ALICE, endpointId, 'replica-c/1').takeAndClaim(50)])).flat();
      assert.deepEqual(retaken.map((t) => t.taskId).sort(), tasks.map((t) => t.id).sort(), 'every task queued again, once');
    });

    it('bus - takeAndClaim: racing consumers take each entry once and claim each waiting task of their endpoint once', async () => {
      const endpointId = uuidv4();
      const mine = Array.from({ length: 6 }, () => newTask({ endpointId, queuedAt: 10 }));
      const other = newTask({ queuedAt: 10 });
      const ended = newTask({ endpointId });
      await insert(a, [...mine, ended].map((t) => ({ ...t, groupId: mine[0]!.groupId })));
      await insert(a, [other]);
      await complete(a, [{ id: ended.id, end: { status: 'cancelled', result: null, exception: '12\nx', completedAt: 20 } }], RETENTION_MS);
      const qa = a.bus.queue(ALICE, endpointId, 'replica-a/claims');
      const qb = b.bus.queue(ALICE, endpointId, 'replica-b/claims');
      const taken = (await Promise.all([qa.takeAndClaim(4), qb.takeAndClaim(4), qa.takeAndClaim(4), qb.takeAndClaim(4)])).flat();
      assert.deepEqual([...new Set(taken.map((t) => t.taskId))].sort(), [...mine, ended].map((t) => t.id).sort(), 'every task of the endpoint\'s queue taken');
      assert.equal(new Set(taken.map((t) => t.ref)).size, taken.length, 'no entry taken twice');
      const claimed = taken.filter((t) => t.before !== null);
      assert.deepEqual(claimed.map((t) => t.taskId).sort(), mine.map((t) => t.id).sort(), 'each waiting task of the endpoint claimed once');
      for (const t of claimed) assert.equal(t.before!.status, 'waiting-for-ep', 'the task as it was before its claim');
      assert.equal(claimed.find((t) => t.taskId === mine[1]!.id)!.before!.payload, mine[1]!.payload);
      const stored = await b.tasks.getMany(ALICE, mine.map((t) => t.id));
      for (const t of mine) assert.equal(stored.get(t.id)!.status, 'waiting-for-nodes');
      assert.ok(!(await a.tasks.waitingSince(ALICE, 11, 10_000)).some((id) => mine.some((t) => t.id === id)), 'no longer waiting');
      assert.equal((await a.tasks.get(ALICE, other.id))!.status, 'waiting-for-ep', 'another endpoint\'s task is left as it was');
      assert.deepEqual(await qa.takeAndClaim(4), [], 'nothing left');
      const released = [...(await qa.release()), ...(await qb.release())].map((t) => t.id);
      assert.deepEqual(released.sort(), mine.map((t) => t.id).sort(), 'release gives back and requeues the live tasks both held (not the ended one)');
      assert.deepEqual(await b.bus.reclaim(ALICE, endpointId, () => false), [], 'and holds nothing after');
    });

    it('bus - acknowledged tasks are not reclaimed; group and control events reach subscribers', async () => {
      const endpointId = uuidv4();
      const q = a.bus.queue(ALICE, endpointId, 'replica-a/2');
      await insert(a, [newTask({ endpointId })]);
      const [t] = await q.takeAndClaim(10);
      await q.ack([t!.ref]);
      assert.deepEqual(await b.bus.reclaim(ALICE, endpointId, () => false), []);
      const groupId = uuidv4();
      const t1 = uuidv4();
      const events = firstValueFrom(b.bus.groupEvents(groupId).pipe(take(2), toArray()));
      let heard: unknown = null;
      const control = firstValueFrom(b.bus.controlEvents(endpointId).pipe(take(1)));
      void control.then((event) => (heard = event));
      await b.bus.groupReady(groupId);
      // The control channel has no readiness signal of its own: sent until heard (each is a cancel of the same task).
      await until(async () => {
        await a.bus.control(endpointId, { type: 'cancel', taskId: t1 });
        await new Promise<void>((resolve) => setImmediate(resolve));
        return heard !== null;
      }, 'the control channel subscribed');
      await a.bus.publishMany([{ groupId, ownerId: 'alice', taskId: t1, frame: { type: 'status', task_id: t1, status: 'running' } }]);
      await a.bus.publishMany([{ groupId, ownerId: 'alice', taskId: t1, frame: { task_id: t1, status: 'success', result: '11\n1', exception: null, completion_t: '1.000' } }]);
      const got = await events;
      assert.deepEqual(got.map((e) => e.taskId), [t1, t1]);
      assert.deepEqual(await control, { type: 'cancel', taskId: t1 });
    });

    it('bus - publishMany: each group hears its own events, one by one and in order', async () => {
      const [g1, g2] = [uuidv4(), uuidv4()];
      const [t1, t2, t3] = [uuidv4(), uuidv4(), uuidv4()];
      const status = (taskId: string, s: 'running' | 'waiting-for-launch') => ({ type: 'status', task_id: taskId, status: s }) as const;
      const result = (taskId: string) => ({ task_id: taskId, status: 'success', result: '11\n1', exception: null, completion_t: '1.000' }) as const;
      const sent = [
        { groupId: g1, ownerId: 'alice', taskId: t1, frame: status(t1, 'running') },
        { groupId: g2, ownerId: 'bob', taskId: t2, frame: status(t2, 'waiting-for-launch') },
        { groupId: g1, ownerId: 'alice', taskId: t1, frame: result(t1) },
        { groupId: g1, ownerId: 'alice', taskId: t3, frame: result(t3) },
      ];
      const heard1 = firstValueFrom(b.bus.groupEvents(g1).pipe(take(3), toArray()));
      const heard2 = firstValueFrom(b.bus.groupEvents(g2).pipe(take(1), toArray()));
      await Promise.all([b.bus.groupReady(g1), b.bus.groupReady(g2)]);
      await a.bus.publishMany(sent);
      await a.bus.publishMany([]);
      assert.deepEqual(await heard1, [sent[0], sent[2], sent[3]]);
      assert.deepEqual(await heard2, [sent[1]]);
    });

    it('bus - a forgotten queue (its endpoint deleted) has nothing to take', async () => {
      const endpointId = uuidv4();
      const group = uuidv4();
      await insert(a, [newTask({ endpointId, groupId: group }), newTask({ endpointId, groupId: group })]);
      await b.bus.forget(ALICE, endpointId);
      assert.deepEqual(await a.bus.queue(ALICE, endpointId, 'replica-a/3').take(10), []);
    });

    it('presence - heartbeats are seen from every handle and expire', async () => {
      const endpointId = uuidv4();
      await a.presence.heartbeat(endpointId, 'c1', 60_000);
      assert.equal(await b.presence.isOnline(endpointId), true);
      await b.presence.heartbeat(endpointId, 'c2', 1);
      // Not a wait on an event: expiry is time passing, judged by the wall clock (Date.now on both
      // backends), and nothing tells of it. 5 ms is five times the 1 ms heartbeat; only a clock
      // stepping back could make this flaky, and it has not been.
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.deepEqual([...(await a.presence.consumers(endpointId))], ['c1']);
      await a.presence.leave(endpointId, 'c1');
      assert.equal(await b.presence.isOnline(endpointId), false);
    });

    it('counters - added figures add up across handles, and a handle reads its own writes at once', async () => {
      const user = uuidv4();
      a.counters.add(user, 'functions', 2);
      b.counters.add(user, 'functions', 3);
      // Writes are fire-and-forget; a read after a round trip sees them.
      await a.identity.holder('flush');
      await b.identity.holder('flush');
      assert.equal(await b.counters.of(user, 'functions'), 5);
      a.counters.add(user, 'resultSocketsOpen', 1);
      assert.equal((await a.counters.userSnapshot(user)).result_websockets_open, 1);
      assert.ok((await b.counters.snapshot()).result_websockets_open >= 1);
    });

    it('counters - the task figures follow the store\'s writes exactly: racing and repeated writes count once', async () => {
      const ownerId = uuidv4();
      const endpointId = uuidv4();
      const groupId = uuidv4();
      const figures = async (handle: Backend) => {
        const s = await handle.counters.userSnapshot(ownerId);
        const byStatus = Object.fromEntries(Object.entries(s.tasks_by_status).filter(([, n]) => n !== 0));
        return { submitted: s.tasks_submitted, invocations: s.total_function_invocations, outstanding: s.tasks_outstanding, bytes: s.bytes_held, byStatus };
      };
      const tasks = [0, 1, 2].map(() => newTask({ ownerId, endpointId, groupId, payload: 'p'.repeat(10) }));
      // Racing submits of the same tasks, then a retry of them (its answer lost the first time): each counted once.
      await Promise.all([insert(a, tasks), insert(b, tasks)]);
      await insert(a, tasks);
      assert.deepEqual(await figures(b), { submitted: 3, invocations: 3, outstanding: 3, bytes: 30, byStatus: { 'waiting-for-ep': 3 } });
      const [qa, qb] = [a.bus.queue(ownerId, endpointId, 'replica-a/count'), b.bus.queue(ownerId, endpointId, 'replica-b/count')];
      const [x, y] = await Promise.all([qa.takeAndClaim(10), qb.takeAndClaim(10)]);
      assert.equal(x.length + y.length, 3);
      await Promise.all([advance(a, endpointId, [{ id: tasks[0]!.id, to: 'running' }], ownerId), advance(b, endpointId, [{ id: tasks[0]!.id, to: 'running' }], ownerId)]);
      assert.deepEqual(await figures(a), { submitted: 3, invocations: 3, outstanding: 3, bytes: 30, byStatus: { 'waiting-for-nodes': 2, running: 1 } });
      // Two racing ends of one task (and a repeat): one counts; its result's bytes replace its payload's.
      const end = (id: string, result: string): TaskCompletion => ({ id, end: { status: 'success', result, exception: null, completedAt: 2000 } });
      await Promise.all([complete(a, [end(tasks[0]!.id, 'r'.repeat(4))], RETENTION_MS, ownerId), complete(b, [end(tasks[0]!.id, 'r'.repeat(4))], RETENTION_MS, ownerId)]);
      await complete(a, [end(tasks[0]!.id, 'r'.repeat(4))], RETENTION_MS, ownerId);
      assert.deepEqual(await figures(b), { submitted: 3, invocations: 3, outstanding: 2, bytes: 24, byStatus: { 'waiting-for-nodes': 2, success: 1 } });
      // Given back (its connection closed), then a dependant that waits on task 1 and is released by its success.
      await Promise.all([qa.release(), qb.release()]);
      const dependant = newTask({ ownerId, endpointId, groupId, payload: 'q'.repeat(5), status: 'waiting-for-deps', inputs: [tasks[1]!.id] });
      await insert(b, [dependant]);
      assert.deepEqual(await figures(a), { submitted: 4, invocations: 4, outstanding: 3, bytes: 29, byStatus: { 'waiting-for-ep': 2, 'waiting-for-deps': 1, success: 1 } });
      await complete(a, [end(tasks[1]!.id, '')], RETENTION_MS, ownerId);
      assert.deepEqual(await figures(a), { submitted: 4, invocations: 4, outstanding: 2, bytes: 19, byStatus: { 'waiting-for-ep': 2, success: 2 } });
      // Deleted, racing: each once; what is left holds nothing of them.
      const ids = [tasks[0]!.id, tasks[1]!.id, tasks[2]!.id, dependant.id];
      await Promise.all([a.tasks.deleteMany(ownerId, ids), b.tasks.deleteMany(ownerId, ids)]);
      // (The memory backend forgets a user's cumulative counts once nothing of theirs is live.)
      const { outstanding, bytes, byStatus } = await figures(b);
      assert.deepEqual({ outstanding, bytes, byStatus }, { outstanding: 0, bytes: 0, byStatus: {} });
    });

    it('partials - appended in order, each seq once, within the window; racing appends of one seq store one value', async () => {
      const groupId = uuidv4();
      const taskId = uuidv4();
      const window = { maxUnread: 3, maxUnreadBytes: 10, history: 2, retentionMs: 60_000 };
      const item = (seq: number, value: string) => ({ groupId, taskId, seq, value });
      assert.deepEqual(await a.partials.append([item(0, 'aa'), item(0, 'zz'), item(2, 'cc'), item(1, 'bb')], window), ['stored', 'duplicate', 'gap', 'stored']);
      const [x, y] = await Promise.all([a.partials.append([item(2, 'c1')], window), b.partials.append([item(2, 'c2')], window)]);
      assert.deepEqual([x[0], y[0]].sort(), ['duplicate', 'stored']);
      assert.deepEqual(await a.partials.append([item(3, 'dd')], window), ['over'], 'three unread: the window is full');
      const held = await b.partials.read(groupId, taskId, 0, 10);
      assert.deepEqual({ ...held, values: held.values.slice(0, 2) }, { taskId, first: 0, count: 3, acked: 0, values: ['aa', 'bb'] });
      assert.ok(held.values[2] === (x[0] === 'stored' ? 'c1' : 'c2'), 'the first stored value of seq 2 stays');
      assert.deepEqual(await a.partials.credit(groupId, taskId, window), { count: 3, bytes: 10 });
    });

    it('partials - an ack frees credit (count and bytes), keeps a bounded history, and unread() gives what is left per task', async () => {
      const groupId = uuidv4();
      const [t1, t2] = [uuidv4(), uuidv4()];
      const window = { maxUnread: 4, maxUnreadBytes: 100, history: 1, retentionMs: 60_000 };
      await a.partials.append([0, 1, 2, 3].map((seq) => ({ groupId, taskId: t1, seq, value: `v${seq}` })), window);
      await a.partials.append([{ groupId, taskId: t2, seq: 0, value: 'w0' }], window);
      assert.deepEqual(await b.partials.ack([{ groupId, taskId: t1, seq: 1 }, { groupId, taskId: uuidv4(), seq: 5 }], window), [{ count: 6, bytes: 104 }, null]);
      assert.deepEqual(await a.partials.ack([{ groupId, taskId: t1, seq: 0 }], window), [null], 'behind what was read: nothing changes');
      const held = await a.partials.read(groupId, t1, 0, 10);
      assert.deepEqual(held, { taskId: t1, first: 1, count: 4, acked: 2, values: ['v1', 'v2', 'v3'] }, 'one read one kept (history 1)');
      const unread = (await b.partials.unread(groupId, 100)).sort((p, q) => p.values.length - q.values.length);
      assert.deepEqual(unread, [{ taskId: t2, first: 0, count: 1, acked: 0, values: ['w0'] }, { taskId: t1, first: 2, count: 4, acked: 2, values: ['v2', 'v3'] }]);
      await b.partials.remove(groupId, [t1, t2]);
      assert.deepEqual(await a.partials.unread(groupId, 100), []);
      assert.deepEqual((await a.partials.read(groupId, t1, 0, 10)).count, 0);
    });
  });
}
