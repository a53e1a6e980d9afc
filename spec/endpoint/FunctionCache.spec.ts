import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FunctionCache } from '../../lib/endpoint/FunctionCache.js';

test('.get() - returns what .set() kept, undefined otherwise', () => {
  const cache = new FunctionCache();
  cache.set('a', 'code-a');
  assert.equal(cache.get('a'), 'code-a');
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.bytes, 6);
});

test('.set() - drops the least recently used past maxFunctions', () => {
  const cache = new FunctionCache({ maxFunctions: 2 });
  cache.set('a', '1');
  cache.set('b', '2');
  cache.get('a'); // a is now more recent than b
  cache.set('c', '3');
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), '1');
  assert.equal(cache.get('c'), '3');
  assert.equal(cache.size, 2);
});

test('.set() - drops the least recently used past maxBytes, and keeps nothing larger than maxBytes', () => {
  const cache = new FunctionCache({ maxBytes: 10 });
  cache.set('a', 'xxxx');
  cache.set('b', 'yyyy');
  cache.set('c', 'zzzz');
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.bytes, 8);
  cache.set('huge', 'h'.repeat(11));
  assert.equal(cache.get('huge'), undefined);
  assert.equal(cache.size, 2);
  cache.set('b', 'yy');
  assert.equal(cache.bytes, 6, 'a replaced function counts once');
});

test('new FunctionCache() - refuses bounds that are not whole numbers from 1', () => {
  assert.throws(() => new FunctionCache({ maxFunctions: 0 }), /Expected `maxFunctions` to be a whole number from 1 and up, got `0`/);
  assert.throws(() => new FunctionCache({ maxBytes: 1.5 }), /Expected `maxBytes` to be a whole number from 1 and up, got `1.5`/);
});
