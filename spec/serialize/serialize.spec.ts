import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SerializationError } from '../../lib/errors/SerializationError.js';
import { pack, unpack } from '../../lib/serialize/pack.js';
import { deserialize, deserializeError, deserializeFunction, packPayload, serialize, serializeError, serializeFunction, unpackPayload } from '../../lib/serialize/serialize.js';
import { loadFunction } from '../../lib/endpoint/loadFunction.js';

describe('serialization', () => {
  it('should round-trip JSON data', () => {
    for (const value of [100, 'text', null, true, [1, [2, { a: 'ü😀' }]], { nested: { list: [] } }]) {
      assert.deepEqual(deserialize(serialize(value)), value);
    }
    assert.equal(serialize(50), '10\n50');
    assert.equal(deserialize(serialize(undefined)), null);
  });

  it('should refuse functions, symbols, BigInts and cycles with a SerializationError', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const bad of [() => 1, Symbol('s'), 10n, cycle, { f() {} }]) assert.throws(() => serialize(bad), SerializationError);
  });

  it('should unpack funcX\'s worked example and name the pickle it cannot read', () => {
    const buffers = unpack('28\n00\ngASVBQAAAAAAAABLMoWULg==\n12\n00\ngAR9lC4=\n');
    assert.deepEqual(buffers, ['00\ngASVBQAAAAAAAABLMoWULg==\n', '00\ngAR9lC4=\n']);
    assert.throws(() => deserialize(buffers[0]!), (e: unknown) => e instanceof SerializationError && e.method === '00' && /Python pickle/.test(e.message));
  });

  it('should count packed lengths in code points, as Python does', () => {
    const text = '10\n"😀é"';
    const packed = pack([text, '10\n1']);
    assert.equal(packed.split('\n')[0], String([...text].length));
    assert.deepEqual(unpack(packed), [text, '10\n1']);
  });

  it('should refuse malformed packings', () => {
    for (const bad of ['x\n10\n1', '99\n10\n1', '3']) assert.throws(() => unpack(bad), SerializationError);
    assert.throws(() => deserialize('10'), SerializationError);
    assert.throws(() => deserialize('10\n{not json'), SerializationError);
    assert.throws(() => deserialize('77\n1'), /Unknown serialization method/);
  });

  it('should round-trip payloads', () => {
    const payload = packPayload([50], { by: 2 });
    assert.equal(packPayload([50]), '7\n10\n[50]5\n10\n{}');
    assert.deepEqual(unpackPayload(payload), { args: [50], kwargs: { by: 2 } });
    assert.throws(() => unpackPayload(pack(['10\n1'])), SerializationError);
  });

  it('should carry a function as source and load plain, arrow, async and shorthand forms', async () => {
    function plain(x: number): number {
      return x + 1;
    }
    const shorthand = { twice(x: number) { return x * 2; } }.twice;
    const asyncShorthand = { async later(x: number) { return x - 1; } }.later;
    const nested = (x: number): number => {
      const inner = function helper(y: number): number { return y * 3; };
      return inner(x);
    };
    assert.equal(deserializeFunction(serializeFunction(plain)).name, 'plain');
    assert.equal(loadFunction(pack([serializeFunction(plain)]))(1), 2);
    assert.equal(loadFunction(pack([serializeFunction((x: number) => x * 5)]))(2), 10);
    assert.equal(loadFunction(pack([serializeFunction(shorthand)]))(4), 8);
    assert.equal(await loadFunction(pack([serializeFunction(asyncShorthand)]))(4), 3);
    assert.equal(loadFunction(pack([serializeFunction(nested)]))(2), 6, 'nested named functions survive tsx\'s __name helper');
  });

  it('should refuse native, bound and class values as functions', () => {
    assert.throws(() => serializeFunction(Math.max), SerializationError);
    assert.throws(() => serializeFunction(function f() {}.bind(null)), SerializationError);
    assert.throws(() => serializeFunction(class A {} as never), SerializationError);
  });

  it('should round-trip errors, and describe non-errors that were thrown', () => {
    const remote = deserializeError(serializeError(new TypeError('boom')));
    assert.equal(remote.name, 'TypeError');
    assert.equal(remote.message, 'boom');
    assert.match(remote.stack, /TypeError: boom/);
    assert.equal(deserializeError(serializeError('a string')).name, 'NonErrorThrown');
  });
});
