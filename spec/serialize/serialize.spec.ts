import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SerializationError } from '../../lib/errors/SerializationError.js';
import { pack, unpack } from '../../lib/serialize/pack.js';
import { deserialize, deserializeError, deserializeFunction, packPayload, serialize, serializeError, serializeFunction, serializePythonSource, unpackPayload } from '../../lib/serialize/serialize.js';
import { codeLanguage } from '../../lib/serialize/codeLanguage.js';
import { decodeBase64Lines } from '../../lib/serialize/base64Lines.js';
import { python } from '../../lib/client/PythonFunction.js';
import { loadFunction } from '../../lib/endpoint/loadFunction.js';

describe('serialization', () => {
  it('should round-trip JSON data', () => {
    for (const value of [100, 'text', null, true, [1, [2, { a: 'ü😀' }]], { nested: { list: [] } }]) {
      assert.deepEqual(deserialize(serialize(value)), value);
    }
    assert.equal(serialize(50), '11\n50');
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
    const text = '11\n"😀é"';
    const packed = pack([text, '11\n1']);
    assert.equal(packed.split('\n')[0], String([...text].length));
    assert.deepEqual(unpack(packed), [text, '11\n1']);
  });

  it('should refuse malformed packings', () => {
    for (const bad of ['x\n10\n1', '99\n10\n1', '3']) assert.throws(() => unpack(bad), SerializationError);
    assert.throws(() => deserialize('11'), SerializationError);
    assert.throws(() => deserialize('11\n{not json'), SerializationError);
    assert.throws(() => deserialize('77\n1'), /Unknown serialization method/);
  });

  it('should round-trip payloads', () => {
    const payload = packPayload([50], { by: 2 });
    assert.equal(packPayload([50]), '7\n11\n[50]5\n11\n{}');
    assert.deepEqual(unpackPayload(payload), { args: [50], kwargs: { by: 2 } });
    assert.throws(() => unpackPayload(pack(['11\n1'])), SerializationError);
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

  it('should write JSONData (11) as Python\'s json.dumps does', () => {
    assert.equal(serialize({ a: [1, 2.5, 'é😀', null, true], b: {} }), '11\n{"a": [1, 2.5, "\\u00e9\\ud83d\\ude00", null, true], "b": {}}');
    assert.equal(serialize([1.5e-7, 0.0001, 0.00001, -0.5, 1e21, '\x7f']), '11\n[1.5e-07, 0.0001, 1e-05, -0.5, 1e+21, "\\u007f"]');
    assert.deepEqual(deserialize(serialize({ 'k:,': 'v, "x": 1' })), { 'k:,': 'v, "x": 1' }, 'separators inside strings are left alone');
  });

  it('should never read an id in a meaning other than Globus Compute\'s', () => {
    assert.throws(() => deserialize('10\n[1]'), /Method 10 is Python code, not data/);
    assert.throws(() => deserialize('12\n{}'), /Method 12 is Python code/);
    assert.throws(() => deserialize('js\n{}'), /holds something other than data/);
    assert.throws(() => deserializeFunction('11\n{"name":"f","source":"() => 1"}'), /holds something other than a JavaScript function/);
    assert.throws(() => deserializeFunction(serializePythonSource('f', 'def f(): pass\n')), /Method st is Python code/);
    assert.throws(() => deserializeError('12\n{"name":"E","message":"m","stack":""}'), /Method 12 is Python code/);
    assert.match(serializeFunction(() => 1), /^js\n/);
    assert.match(serializeError(new Error('x')), /^je\n/);
  });

  it('should read the JSONData part of AllDataStrategies (13)', () => {
    const combo = `13\n${pack(['11\n[2, {"y": 10}]', '00\ngASVEQAAAAAAAABdlEsCYX2UjAF5lEsKc4aULg==\n'])}`;
    assert.deepEqual(deserialize(combo), [2, { y: 10 }]);
    assert.throws(() => deserialize(`13\n${pack(['00\ngAR9lC4=\n'])}`), /no JSONData \(11\) part/);
  });

  it('should write Python source as PureSourceTextInspect (st): base64 of name:source in 76-character lines', () => {
    const source = `def double(x):\n    # ${'a long comment '.repeat(8)}\n    return x * 2\n`;
    const code = serializePythonSource('double', source);
    const [id, ...lines] = code.split('\n');
    assert.equal(id, 'st');
    assert.equal(lines.pop(), '', 'every line ends with a newline');
    assert.ok(lines.length > 1 && lines.slice(0, -1).every((line) => line.length === 76));
    assert.equal(decodeBase64Lines(code.slice(3)), `double:${source}`);
    assert.equal(codeLanguage(pack([code])), 'python');
    assert.equal(codeLanguage(pack([serializeFunction(() => 1)])), 'javascript');
  });

  it('python`...` - dedents the source and names the function by its first top-level def', () => {
    const fn = python<(x: number) => number>`
      import math

      def double(x):
          return x * 2
      def other():
          pass
    `;
    assert.equal(fn.name, 'double');
    assert.equal(fn.source, 'import math\n\ndef double(x):\n    return x * 2\ndef other():\n    pass\n');
    assert.equal(python`async def later(x): return x`.name, 'later');
    assert.throws(() => python`x = 1`, /needs a top-level `def name/);
  });
});
