import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom } from 'rxjs';
import { FuncXError } from '../../lib/errors/FuncXError.js';
import { ServiceError } from '../../lib/errors/ServiceError.js';
import { retryIdempotent } from '../../lib/reactive/retryIdempotent.js';

const policy = { deadlineMs: 300, attemptTimeoutMs: 1000, backoff: { initialDelayMs: 5, maxDelayMs: 20 } };
const cut = (): FuncXError => new FuncXError('POST /submit failed while reading the answer: terminated');

describe('retryIdempotent', () => {
  it('should send again after transient failures (a cut answer, a 503) and give the answer', async () => {
    const failures: unknown[] = [cut(), new ServiceError({ code: 18, reason: 'busy', http_status_code: 503 })];
    let attempts = 0;
    const answer = await firstValueFrom(
      retryIdempotent('POST /submit', async () => {
        attempts++;
        const failure = failures.shift();
        if (failure) throw failure;
        return 'accepted';
      }, policy),
    );
    assert.equal(answer, 'accepted');
    assert.equal(attempts, 3);
  });

  it('should not retry an answer that is not transient (a 400)', async () => {
    let attempts = 0;
    const refusal = new ServiceError({ code: 17, reason: 'malformed', http_status_code: 400 });
    await assert.rejects(
      firstValueFrom(retryIdempotent('POST /submit', async () => {
        attempts++;
        throw refusal;
      }, policy)),
      (error) => error === refusal,
    );
    assert.equal(attempts, 1);
  });

  it('should stop at the deadline with the last error', async () => {
    let attempts = 0;
    const started = Date.now();
    await assert.rejects(
      firstValueFrom(retryIdempotent('POST /submit', async () => {
        attempts++;
        throw cut();
      }, policy)),
      /terminated/,
    );
    assert.ok(attempts > 3, `retried (${attempts} attempts)`);
    assert.ok(Date.now() - started < policy.deadlineMs + 200, 'and gave up at the deadline');
  });

  it('should abandon an attempt that takes longer than attemptTimeoutMs, aborting it, and try again', async () => {
    const signals: AbortSignal[] = [];
    const answer = await firstValueFrom(
      retryIdempotent('POST /submit', (signal) => {
        signals.push(signal);
        return signals.length === 1 ? new Promise<string>(() => {}) : Promise.resolve('second');
      }, { ...policy, attemptTimeoutMs: 30 }),
    );
    assert.equal(answer, 'second');
    assert.equal(signals[0]!.aborted, true, 'the stuck attempt was aborted');
  });

  it('should honour submitRetries as a cap within the deadline', async () => {
    let attempts = 0;
    await assert.rejects(firstValueFrom(retryIdempotent('POST /cancel', async () => {
      attempts++;
      throw cut();
    }, { ...policy, retries: 2 })));
    assert.equal(attempts, 3);
  });
});
